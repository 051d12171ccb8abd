import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { contentForWire, type HttpResponse } from '../http/response';
import type { StreamingHttpResponse } from '../http/streaming-response';
import type { Logger } from '../log';

function headerList(response: HttpResponse, bodyLength: number | null): string[] {
  const list = response.headers.appendFlat([]);
  for (const cookie of response.cookies.values()) list.push('Set-Cookie', cookie);
  if (bodyLength !== null && !response.headers.has('content-length'))
    list.push('Content-Length', String(bodyLength));
  return list;
}

/**
 * The headers as the plain object `writeHead` (and an HTTP/2 `respond`) takes fastest (an array makes Node remove and re-append
 * each header); several cookies become one `Set-Cookie` array, as Node expects.
 */
export function headerObject(
  response: HttpResponse,
  bodyLength: number | null,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = response.headers.toObject();
  if (response.cookies.size > 0) headers['Set-Cookie'] = [...response.cookies.values()];
  if (bodyLength !== null && !response.headers.has('content-length'))
    headers['Content-Length'] = String(bodyLength);
  return headers;
}

/** Whether a response with `status` carries a body (never for 1xx, 204 and 304). */
export function statusHasBody(status: number): boolean {
  return !(status < 200 || status === 204 || status === 304);
}

/**
 * Writes `response` to Node's `ServerResponse`; a streaming body honours backpressure. Never throws:
 * when Node refuses the response (a status out of range, a reason phrase or a `Set-Cookie` it can't
 * write), the client gets a bare 500 instead and one error line is logged.
 */
export function writeResponse(res: ServerResponse, response: HttpResponse, logger: Logger): void {
  try {
    writeWhole(res, response, logger);
  } catch (error) {
    answerFailedWrite(res, response, logger, error);
  }
}

function writeWhole(res: ServerResponse, response: HttpResponse, logger: Logger): void {
  if (response.streaming) {
    res.writeHead(response.statusCode, response.reasonPhrase, headerObject(response, null));
    void streamResponseBody(res, response as StreamingHttpResponse, logger);
    return;
  }
  if (!statusHasBody(response.statusCode)) {
    res.writeHead(response.statusCode, response.reasonPhrase, headerObject(response, null));
    res.end();
    return;
  }
  let body = contentForWire(response);
  // Node sends a string body in one piece with the head, all encoded as UTF-8: only right when the
  // head is ASCII (a Latin-1 header value must keep its single byte).
  if (typeof body === 'string' && !response.headers.asciiOnly) body = response.content;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(response.statusCode, response.reasonPhrase, headerObject(response, length));
  res.end(body);
}

const FAILED_WRITE_STATUS = 500;

/** What a log line calls the request whose response failed: its method and target as received. */
function describe(incoming: Pick<IncomingMessage, 'method' | 'url'>): string {
  // Node's parser refuses control characters in both, so they can't forge a log line.
  return `the response to ${incoming.method ?? 'UNKNOWN'} ${incoming.url ?? '/'}`;
}

/**
 * Whether Node may already have marked the response as bodiless when its `writeHead` failed: it does
 * so for a valid 1xx, 204 or 304 status before it checks the headers, and then drops any body given.
 */
function mayBeMarkedBodiless(status: number): boolean {
  const code = status | 0;
  return code >= 100 && code <= 999 && !statusHasBody(code);
}

/** The last resort: a bare 500 if nothing was sent yet, else the connection closed; one error line. */
function answerFailedWrite(res: ServerResponse, failed: HttpResponse, logger: Logger, error: unknown): void {
  if (res.headersSent || res.destroyed) {
    logger.error(
      `Internal Server Error: ${describe(res.req)} failed after its head was sent; the connection is closed`,
      error,
    );
    res.destroy();
    return;
  }
  logger.error(
    `Internal Server Error: ${describe(res.req)} could not be written; a bare 500 was sent instead`,
    error,
  );
  const body = mayBeMarkedBodiless(failed.statusCode) ? '' : bareBody(FAILED_WRITE_STATUS);
  res.shouldKeepAlive = false;
  try {
    res.writeHead(FAILED_WRITE_STATUS, STATUS_CODES[FAILED_WRITE_STATUS], {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(body.length),
      Connection: 'close',
    });
    res.end(body);
  } catch {
    // Not even a fixed, valid head could be written: the socket is beyond saving.
    res.destroy();
  }
}

/**
 * Writes a streaming response's chunks as they come, waiting for `drain` (so a slow client holds the
 * generator back), to an HTTP/1.1 response or an HTTP/2 stream; ends it, or destroys it on an error.
 */
export async function streamResponseBody(
  res: Writable,
  response: StreamingHttpResponse,
  logger: Logger,
): Promise<void> {
  const source = response.streamingContent;
  const iterator: AsyncIterator<string | Buffer | Uint8Array> | Iterator<string | Buffer | Uint8Array> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let finished = false;
  // A source that waits for its next chunk (an event stream in a quiet spell) learns at once that the
  // client left, rather than at its next chunk.
  const left = new Promise<null>((resolve) => res.once('close', () => resolve(null)));
  try {
    for (;;) {
      const pending = iterator.next();
      const step = await Promise.race([pending, left]);
      if (step === null) {
        Promise.resolve(pending).catch(() => undefined); // its outcome no longer matters to anyone
        break;
      }
      if (step.done) {
        finished = true;
        break;
      }
      if (res.destroyed) break;
      if (!res.write(step.value)) await drainedOrClosed(res);
    }
    if (finished) res.end();
  } catch (error) {
    logger.error('Error while streaming a response body; the connection is closed', error);
    res.destroy();
  } finally {
    // The client left: let the generator run its `finally` blocks.
    if (!finished) await iterator.return?.();
  }
}

function drainedOrClosed(res: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a whole HTTP/1.1 response to a raw socket and closes it: for `Upgrade` requests that end up
 * answered as plain HTTP (no handshake happened). The head is checked as Node's `writeHead` checks it,
 * so a bad status line or `Set-Cookie` can't forge header lines here either; like {@link writeResponse}
 * it never throws, and answers a bare 500 (one error line) when the response can't be written.
 */
export function writeRawResponse(
  socket: Duplex,
  response: HttpResponse,
  logger: Logger,
  incoming: Pick<IncomingMessage, 'method' | 'url'>,
): void {
  if (!socket.writable) return;
  let message: Buffer;
  try {
    message = rawMessage(response);
  } catch (error) {
    logger.error(
      `Internal Server Error: ${describe(incoming)} could not be written; a bare 500 was sent instead`,
      error,
    );
    writeBareStatus(socket, FAILED_WRITE_STATUS);
    return;
  }
  socket.end(message);
}

/** The response as the bytes of an HTTP/1.1 message with `Connection: close`; throws what Node would. */
function rawMessage(response: HttpResponse): Buffer {
  const status = response.statusCode;
  if (!Number.isInteger(status) || status < 100 || status > 999)
    throw new RangeError(`Invalid status code: ${String(status)}`);
  validateHeaderValue('reason phrase', response.reasonPhrase);
  const body = statusHasBody(status) && !response.streaming ? response.content : Buffer.alloc(0);
  const list = headerList(response, body.length);
  let head = `HTTP/1.1 ${status} ${response.reasonPhrase}\r\n`;
  for (let index = 0; index < list.length; index += 2) {
    const name = list[index]!;
    const value = list[index + 1]!;
    validateHeaderName(name);
    validateHeaderValue(name, value);
    if (name.toLowerCase() !== 'connection') head += `${name}: ${value}\r\n`;
  }
  head += 'Connection: close\r\n\r\n';
  // Every character was checked to be Latin-1, so this encoding keeps each one as its byte.
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export function bareBody(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}\n`;
}

/** A plain status-only response for a socket Node's parser refused (no request object exists). */
export function writeBareStatus(socket: Duplex, status: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = bareBody(status);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}
