import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { consoleLogger, escapeForLog, type Logger } from '../log';
import { MiddlewareMixin } from './mixin';

const NANOSECONDS_PER_MILLISECOND = 1_000_000;

/**
 * One access-log line per request, at `info` level, to the `LOGGER` setting (default: stderr), in the
 * shape of a common-log request line:
 *
 * ```text
 * "GET /search?q=x HTTP/1.1" 200 1234 3.2ms
 * ```
 *
 * method, full path (escaped by {@link escapeForLog}, `"` as `\x22` too, so a crafted URL can't forge a
 * line or end the quoted request early), status, body length (`Content-Length` when set, else the in-memory body's length; `-` for a
 * streaming body), and the time the layers inside this one took, from `processRequest` to
 * `processResponse`. A streaming body is still being produced when the line is written, so its time
 * covers the response's start only.
 *
 * Put it first (outermost) in the list so the time covers the whole stack. Under
 * `MIDDLEWARE_CLASSES`, where every `processResponse` runs even when an earlier `processRequest`
 * answered, a request this layer never saw start is logged with `-` as its time.
 * Override `formatLine` for another shape. Works in `MIDDLEWARE` and `MIDDLEWARE_CLASSES`.
 */
export class AccessLogMiddleware extends MiddlewareMixin {
  readonly #startedAt = new WeakMap<HttpRequest, bigint>();

  override processRequest(request: HttpRequest): null {
    this.#startedAt.set(request, process.hrtime.bigint());
    return null;
  }

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    const started = this.#startedAt.get(request);
    const durationMs =
      started === undefined ? null : Number(process.hrtime.bigint() - started) / NANOSECONDS_PER_MILLISECOND;
    this.#startedAt.delete(request);
    loggerOf(request).info(this.formatLine(request, response, durationMs));
    return response;
  }

  /** The line for one request; `durationMs` is `null` when `processRequest` didn't run for it. */
  protected formatLine(request: HttpRequest, response: HttpResponse, durationMs: number | null): string {
    const target = escapeQuoted(request.getFullPath());
    const time = durationMs === null ? '-' : `${durationMs.toFixed(1)}ms`;
    return `"${escapeQuoted(request.method)} ${target} ${request.serverProtocol}" ${response.statusCode} ${bodyLength(response)} ${time}`;
  }
}

/** The logger the request's application writes to: `LOGGER`, else stderr. */
export function loggerOf(request: HttpRequest): Logger {
  return request.app?.settings.LOGGER ?? consoleLogger;
}

function bodyLength(response: HttpResponse): string {
  const declared = response.headers.get('Content-Length');
  if (declared !== null) return declared;
  return response.streaming ? '-' : String(response.content.length);
}

/** A value for inside the line's double quotes: escaped for the log, and its own quotes as `\x22`. */
function escapeQuoted(text: string): string {
  const escaped = escapeForLog(text);
  return escaped.includes('"') ? escaped.replaceAll('"', '\\x22') : escaped;
}
