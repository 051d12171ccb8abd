import { conditionalResponse, httpDate, quoteEtag } from '../http/conditional';
import { escapeForLog } from '../log';
import type { HttpRequest } from '../http/request';
import { HttpResponseNotAllowed, type HttpResponse } from '../http/response';
import type { View, ViewParams } from '../urls/patterns';
import { wraps } from './wraps';

// Django's django.views.decorators.http, for views: each returns a view that keeps the decorated
// one's marks (see wraps()), so they combine with csrfExempt, acceptWebsocket and your own.

/**
 * Django's `@require_http_methods`: a request whose method is not in `methods` gets 405 with an
 * `Allow` header listing them, and one warning (`Method Not Allowed (PUT): /path`).
 */
export function requireHttpMethods(methods: readonly string[]): <V extends View>(view: V) => V {
  const allowed = methods.map((method) => method.toUpperCase());
  return <V extends View>(view: V): V =>
    wraps(view)(((request: HttpRequest, params: ViewParams) => {
      if (allowed.includes(request.method)) return view(request, params);
      request.app?.logger.warn(
        `Method Not Allowed (${escapeForLog(request.method)}): ${escapeForLog(request.path)}`,
      );
      return new HttpResponseNotAllowed(allowed);
    }) as V);
}

/** Django's `@require_GET`: only `GET`. */
export const requireGET = requireHttpMethods(['GET']);

/** Django's `@require_POST`: only `POST`. */
export const requirePOST = requireHttpMethods(['POST']);

/** Django's `@require_safe`: only `GET` and `HEAD`. */
export const requireSafe = requireHttpMethods(['GET', 'HEAD']);

/** Computes the current entity tag of what a view serves (quoted or not), or `null` when none. */
export type EtagFunction = (
  request: HttpRequest,
  params: ViewParams,
) => string | null | Promise<string | null>;

/** Computes when what a view serves last changed, or `null` when unknown. */
export type LastModifiedFunction = (
  request: HttpRequest,
  params: ViewParams,
) => Date | null | Promise<Date | null>;

/** What {@link condition} is given: either function, or both. */
export interface ConditionOptions {
  etag?: EtagFunction;
  lastModified?: LastModifiedFunction;
}

/**
 * Django's `@condition`: computes the resource's entity tag and/or last modification before the view
 * runs, and answers a conditional request without running it: 304 for a `GET`/`HEAD` the client has
 * fresh, 412 for a failed `If-Match`/`If-Unmodified-Since` (or an unsafe request whose
 * `If-None-Match` matches). Otherwise the view runs, and a `GET`/`HEAD` response gets the `ETag` and
 * `Last-Modified` headers it doesn't already have.
 */
export function condition(options: ConditionOptions): <V extends View>(view: V) => V {
  return <V extends View>(view: V): V =>
    wraps(view)((async (request: HttpRequest, params: ViewParams): Promise<HttpResponse> => {
      const tag = options.etag ? await options.etag(request, params) : null;
      const etag = tag === null ? null : quoteEtag(tag);
      const modified = options.lastModified ? await options.lastModified(request, params) : null;
      const lastModified = modified === null ? null : Math.floor(modified.getTime() / 1000);
      const answer = conditionalResponse(request, { etag, lastModified });
      if (answer !== null) return answer;
      const response = await view(request, params);
      if (request.method === 'GET' || request.method === 'HEAD') {
        if (lastModified !== null && !response.headers.has('Last-Modified'))
          response.headers.set('Last-Modified', httpDate(lastModified));
        if (etag !== null) response.headers.setDefault('ETag', etag);
      }
      return response;
    }) as V);
}

/** Django's `@etag`: {@link condition} with an entity tag only. */
export function etag(compute: EtagFunction): <V extends View>(view: V) => V {
  return condition({ etag: compute });
}

/** Django's `@last_modified`: {@link condition} with a last modification only. */
export function lastModified(compute: LastModifiedFunction): <V extends View>(view: V) => V {
  return condition({ lastModified: compute });
}
