import { conditionalResponse, parseHttpDate, setResponseEtag } from '../http/conditional';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { MiddlewareMixin } from './mixin';

/**
 * Django's `ConditionalGetMiddleware`: for a `GET`, adds an `ETag` (the MD5 of the content) to a
 * response held in memory that has none, unless it is `Cache-Control: no-store`; then answers 304
 * when the request's `If-None-Match`/`If-Modified-Since` say the client already has it (and 412 for a
 * failed `If-Match`/`If-Unmodified-Since`). Other methods pass untouched: it is too late to refuse an
 * unsafe request, and a `HEAD` has no body to tag. Works in `MIDDLEWARE` and `MIDDLEWARE_CLASSES`.
 */
export class ConditionalGetMiddleware extends MiddlewareMixin {
  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    if (request.method !== 'GET') return response;
    if (needsEtag(response) && !response.headers.has('ETag')) setResponseEtag(response);
    const etag = response.headers.get('ETag');
    const lastModified = parseHttpDate(response.headers.get('Last-Modified'));
    if (etag === null && lastModified === null) return response;
    return conditionalResponse(request, { etag, lastModified }, response) ?? response;
  }
}

function needsEtag(response: HttpResponse): boolean {
  const cacheControl = response.headers.get('Cache-Control') ?? '';
  return cacheControl.split(/\s*,\s*/).every((directive) => directive.toLowerCase() !== 'no-store');
}
