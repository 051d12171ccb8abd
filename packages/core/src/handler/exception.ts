import { Http404, ManoucheError, MissingResponse, PermissionDenied, statusOfError } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { HttpResponse } from '../http/response';
import { escapeForLog, type Logger } from '../log';
import type { ResolvedSettings } from '../settings';
import { isTemplateResponse } from '../templates/template-response';
import type { UrlResolver } from '../urls/resolver';
import { isPromiseLike, isSettled, markSettled, settledWith, type MaybePromise } from './sync';

// Django's core/handlers/exception.py: every exception becomes a response here, and nowhere else.

/** What exception conversion needs from the application; read per call, so overrides apply. */
export interface ConversionContext {
  readonly settings: ResolvedSettings;
  readonly logger: Logger;
  readonly resolver: UrlResolver;
}

const PUBLIC_PAGES: Record<number, string> = {
  400: '<h1>Bad Request (400)</h1>',
  403: '<h1>403 Forbidden</h1>',
  404: '<h1>Not Found</h1><p>The requested resource was not found on this server.</p>',
  413: '<h1>Request Entity Too Large (413)</h1>',
  500: '<h1>Server Error (500)</h1>',
};

const LOG_LABELS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  499: 'Client Closed Request',
};

/**
 * Turns an exception into its response (Django's `response_for_exception`): `Http404` 404,
 * `PermissionDenied` 403, `SuspiciousOperation`/`BadRequest` 400, anything else 500. Logs one line:
 * a warning for 4xx, an error with the trace for 500. The trace reaches the body only with `DEBUG`.
 * Without `DEBUG`, the root URL conf module's `handler400`/`handler403`/`handler404`/`handler500`
 * answer instead of the default pages (see {@link errorViewResponse}): the answer is then a promise
 * when the view is asynchronous, and synchronous otherwise.
 */
export function responseForException(
  request: HttpRequest,
  error: unknown,
  context: ConversionContext,
): MaybePromise<HttpResponse> {
  const status = statusOfError(error);
  if (status >= 500) return serverError(request, error, context);
  logClientError(request, error, status, context);
  if (context.settings.DEBUG)
    return new HttpResponse(debugClientErrorPage(request, error, status, context), { status });
  const custom = context.resolver.errorHandler(status);
  if (custom === null) return new HttpResponse(PUBLIC_PAGES[status] ?? '', { status });
  return errorViewResponse(request, status, () => custom(request, error), context);
}

/**
 * {@link responseForException} with the default pages only, always synchronous: for a request the
 * server refuses before it reaches the handler (a malformed target, a body too large).
 */
export function defaultResponseForException(
  request: HttpRequest,
  error: unknown,
  context: ConversionContext,
): HttpResponse {
  const status = statusOfError(error);
  if (status >= 500) {
    context.logger.error(`Internal Server Error: ${escapeForLog(request.path)}`, error);
    return defaultServerError(request, error, context);
  }
  logClientError(request, error, status, context);
  const body = context.settings.DEBUG
    ? debugClientErrorPage(request, error, status, context)
    : (PUBLIC_PAGES[status] ?? '');
  return new HttpResponse(body, { status });
}

/**
 * A 500 for `error`, whatever it is (the legacy handler uses this for a `processResponse` that throws,
 * even `Http404`, as Django does): the debug page with `DEBUG`, else `handler500` or the default page.
 */
export function serverError(
  request: HttpRequest,
  error: unknown,
  context: ConversionContext,
): MaybePromise<HttpResponse> {
  context.logger.error(`Internal Server Error: ${escapeForLog(request.path)}`, error);
  const custom = context.settings.DEBUG ? null : context.resolver.errorHandler(500);
  if (custom === null) return defaultServerError(request, error, context);
  return errorViewResponse(request, 500, () => custom(request), context);
}

function defaultServerError(request: HttpRequest, error: unknown, context: ConversionContext): HttpResponse {
  const body = context.settings.DEBUG ? debugServerErrorPage(request, error) : PUBLIC_PAGES[500]!;
  return new HttpResponse(body, { status: 500 });
}

function logClientError(
  request: HttpRequest,
  error: unknown,
  status: number,
  context: ConversionContext,
): void {
  const message = error instanceof Error ? error.message : String(error);
  const label = LOG_LABELS[status] ?? 'Client Error';
  const detail = message && !(error instanceof Http404) ? ` (${escapeForLog(message)})` : '';
  context.logger.warn(`${label}: ${escapeForLog(request.path)}${detail}`);
}

/**
 * The answer of a custom error view, rendered when it is a `TemplateResponse` (Django forces that
 * too). A view that throws, rejects, answers nothing or fails to render falls back as Django's
 * `get_exception_response` does: a 4xx view's failure is a server error (`handler500`, else the
 * default page); `handler500`'s own failure gives the default 500 page, with one more error line.
 */
function errorViewResponse(
  request: HttpRequest,
  status: number,
  callView: () => HttpResponse | Promise<HttpResponse>,
  context: ConversionContext,
): MaybePromise<HttpResponse> {
  const fallBack = (failure: unknown): MaybePromise<HttpResponse> => {
    if (status !== 500) return serverError(request, failure, context);
    context.logger.error(`The handler500 view failed: ${escapeForLog(request.path)}`, failure);
    return new HttpResponse(PUBLIC_PAGES[500]!, { status: 500 });
  };
  const finish = (response: HttpResponse | null | undefined): MaybePromise<HttpResponse> => {
    if (response == null) return fallBack(missingResponse(`The handler${status} view`, response));
    if (!isTemplateResponse(response) || response.isRendered) return response;
    return response.render().then(() => response, fallBack);
  };
  let answer: MaybePromise<HttpResponse>;
  try {
    answer = callView();
  } catch (failure) {
    return fallBack(failure);
  }
  return isPromiseLike(answer) ? Promise.resolve(answer).then(finish, fallBack) : finish(answer);
}

/** The error for a view, layer or hook that returned nothing where a response was required (500). */
export function missingResponse(owner: string, returned: unknown): MissingResponse {
  return new MissingResponse(
    `${owner} didn't return an HttpResponse object. It returned ${String(returned)} instead.`,
  );
}

/** One layer of the stack as written: it may throw, reject or return nothing. */
export type Layer = (request: HttpRequest) => MaybePromise<HttpResponse | null | undefined>;

/** A layer that never throws and never rejects; synchronous whenever the layer answered so. */
export type SettledLayer = (request: HttpRequest) => MaybePromise<HttpResponse>;

/**
 * Django's `convert_exception_to_response`: wraps a layer so it always answers with a response. A
 * throw or a rejection becomes the converted response; returning nothing is a {@link MissingResponse}
 * (500). With `alwaysPromise` (the `getResponse` handed to a `MIDDLEWARE` entry, which always resolves
 * to a response) the answer is a promise even when the layer answered at once; without it the
 * wrapper stays synchronous whenever the layer did.
 */
export function convertExceptionToResponse(
  layer: Layer,
  owner: string,
  context: () => ConversionContext,
  alwaysPromise: boolean,
): SettledLayer {
  // Promise chaining rather than async/await: this wrapper runs once per layer per request.
  return function converted(request) {
    let result: MaybePromise<HttpResponse | null | undefined>;
    try {
      result = layer(request);
    } catch (error) {
      return settle(responseForException(request, error, context()), alwaysPromise);
    }
    if (!isPromiseLike(result)) {
      const response = result ?? responseForException(request, missingResponse(owner, result), context());
      return settle(response, alwaysPromise);
    }
    // A pass-through layer hands back the promise the inner wrapper made: already settled.
    if (isSettled(result)) return result;
    const convert = (error: unknown): MaybePromise<HttpResponse> =>
      responseForException(request, error, context());
    return markSettled(
      Promise.resolve(result).then(
        (response) => response ?? convert(missingResponse(owner, response)),
        convert,
      ),
    );
  };
}

/** A converted answer as a layer's wrapper gives it: a marked promise when one is required or pending. */
function settle(answer: MaybePromise<HttpResponse>, alwaysPromise: boolean): MaybePromise<HttpResponse> {
  if (isPromiseLike(answer)) return markSettled(Promise.resolve(answer));
  return alwaysPromise ? settledWith(answer) : answer;
}

function debugServerErrorPage(request: HttpRequest, error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  return page(
    `${name} at ${request.path}`,
    `<pre class="exception_value">${escapeHtml(message)}</pre>
<table><tr><th>Request Method:</th><td>${escapeHtml(request.method)}</td></tr>
<tr><th>Request URL:</th><td>${escapeHtml(request.getFullPath())}</td></tr></table>
<h2>Traceback</h2><pre class="traceback">${escapeHtml(stack)}</pre>
<p>You're seeing this error because you have <code>DEBUG = true</code> in your settings. Change that to
<code>false</code>, and Manouche will display a standard page generated by the handler for this status code.</p>`,
  );
}

function debugClientErrorPage(
  request: HttpRequest,
  error: unknown,
  status: number,
  context: ConversionContext,
): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Http404) {
    const tried = context.resolver.routes.map(
      (route) =>
        `<li><code>${escapeHtml(route.route)}</code>${route.name ? ` [name='${escapeHtml(route.name)}']` : ''}</li>`,
    );
    return page(
      'Page not found (404)',
      `<table><tr><th>Request Method:</th><td>${escapeHtml(request.method)}</td></tr>
<tr><th>Request URL:</th><td>${escapeHtml(request.getFullPath())}</td></tr></table>
<p>Manouche tried these URL patterns, in this order:</p><ol>${tried.join('')}</ol>
<p class="exception_value">${escapeHtml(message)}</p>${traceback(error)}`,
    );
  }
  const title =
    error instanceof PermissionDenied
      ? '403 Forbidden'
      : `${status} ${error instanceof ManoucheError ? error.name : 'Error'}`;
  return page(title, `<pre class="exception_value">${escapeHtml(message)}</pre>${traceback(error)}`);
}

/**
 * The trace section of a `DEBUG` client-error page. The middleware contract says a `DEBUG` body carries
 * the message and the trace whatever the status, so a 4xx raised deep in a view or a middleware can be
 * traced as easily as a 500.
 */
function traceback(error: unknown): string {
  const stack = error instanceof Error ? error.stack : undefined;
  return stack ? `\n<h2>Traceback</h2><pre class="traceback">${escapeHtml(stack)}</pre>` : '';
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
