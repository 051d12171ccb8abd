import { createHash } from 'node:crypto';
import { escapeForLog } from '../log';
import type { HttpRequest } from './request';
import { HttpResponse, HttpResponseNotModified } from './response';

// Conditional requests (RFC 9110 section 13), as Django's django.utils.cache evaluates them: the
// `condition` view decorators and `ConditionalGetMiddleware` both answer through here.

const ETAG = /^((?:W\/)?"[^"]*")$/;

/** The headers a 304 keeps from the response it replaces (RFC 9110 15.4.5). */
const NOT_MODIFIED_KEEPS = [
  'Cache-Control',
  'Content-Location',
  'Date',
  'ETag',
  'Expires',
  'Last-Modified',
  'Vary',
];

const SAFE_FOR_304 = new Set(['GET', 'HEAD']);

/** The entity tags of an `If-Match`/`If-None-Match` value: `['*']`, or the well-formed tags in it. */
export function parseEtags(header: string): string[] {
  if (header.trim() === '*') return ['*'];
  return header
    .split(',')
    .map((tag) => ETAG.exec(tag.trim())?.[1])
    .filter((tag): tag is string => tag !== undefined);
}

/** `value` as an entity tag: kept when already quoted (`"x"`, `W/"x"`), else quoted. */
export function quoteEtag(value: string): string {
  return ETAG.test(value) ? value : `"${value}"`;
}

/** An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) for `seconds` since the epoch. */
export function httpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/** Seconds since the epoch of an HTTP date (any of the three RFC 9110 forms), or `null`. */
export function parseHttpDate(value: string | null): number | null {
  if (value === null) return null;
  const milliseconds = Date.parse(value);
  return Number.isNaN(milliseconds) ? null : Math.floor(milliseconds / 1000);
}

/** What the server knows of the resource: its entity tag and its last modification (epoch seconds). */
export interface ResourceState {
  readonly etag: string | null;
  readonly lastModified: number | null;
}

/**
 * Django's `get_conditional_response`: evaluates the request's preconditions against the resource
 * and answers 412 (a failed `If-Match`/`If-Unmodified-Since`, or an unsafe request whose
 * `If-None-Match` matches) or 304 (a `GET`/`HEAD` the client has fresh); `null` when the request
 * should be answered normally. With `response` (the middleware's case), only a 2xx is considered, and
 * the 304 keeps its caching headers and cookies.
 */
export function conditionalResponse(
  request: HttpRequest,
  resource: ResourceState,
  response: HttpResponse | null = null,
): HttpResponse | null {
  if (response !== null && !(response.statusCode >= 200 && response.statusCode < 300)) return null;
  const ifMatch = parseEtags(request.headers.get('if-match') ?? '');
  const ifUnmodifiedSince = parseHttpDate(request.headers.get('if-unmodified-since'));
  const ifNoneMatch = parseEtags(request.headers.get('if-none-match') ?? '');
  const ifModifiedSince = parseHttpDate(request.headers.get('if-modified-since'));
  const { etag, lastModified } = resource;

  if (ifMatch.length > 0 && !ifMatchPasses(etag, ifMatch)) return preconditionFailed(request);
  if (ifMatch.length === 0 && ifUnmodifiedSince !== null) {
    if (lastModified === null || lastModified > ifUnmodifiedSince) return preconditionFailed(request);
  }
  if (ifNoneMatch.length > 0 && !ifNoneMatchPasses(etag, ifNoneMatch)) {
    return SAFE_FOR_304.has(request.method) ? notModified(response) : preconditionFailed(request);
  }
  if (
    ifNoneMatch.length === 0 &&
    ifModifiedSince !== null &&
    lastModified !== null &&
    lastModified <= ifModifiedSince &&
    SAFE_FOR_304.has(request.method)
  ) {
    return notModified(response);
  }
  return null;
}

/** The strong comparison `If-Match` asks for: a weak or missing tag never matches. */
function ifMatchPasses(etag: string | null, tags: readonly string[]): boolean {
  if (etag === null) return false;
  if (tags.length === 1 && tags[0] === '*') return true;
  if (etag.startsWith('W/')) return false;
  return tags.includes(etag);
}

/** The weak comparison `If-None-Match` asks for: `W/"x"` and `"x"` are the same resource. */
function ifNoneMatchPasses(etag: string | null, tags: readonly string[]): boolean {
  if (etag === null) return true;
  if (tags.length === 1 && tags[0] === '*') return false;
  const bare = weakless(etag);
  return !tags.some((tag) => weakless(tag) === bare);
}

function weakless(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** A 412, logged as Django logs it (one warning). */
function preconditionFailed(request: HttpRequest): HttpResponse {
  request.app?.logger.warn(`Precondition Failed: ${escapeForLog(request.path)}`);
  return new HttpResponse('', { status: 412 });
}

function notModified(response: HttpResponse | null): HttpResponse {
  const answer = new HttpResponseNotModified();
  if (response === null) return answer;
  for (const name of NOT_MODIFIED_KEEPS) {
    const value = response.headers.get(name);
    if (value !== null) answer.headers.set(name, value);
  }
  for (const [name, cookie] of response.cookies) answer.cookies.set(name, cookie);
  return answer;
}

/**
 * Django's `set_response_etag`: a strong entity tag from the MD5 of the content, for a response held in
 * memory that has content.
 */
export function setResponseEtag(response: HttpResponse): void {
  if (response.streaming) return;
  const content = response.content;
  if (content.length === 0) return;
  response.headers.set('ETag', quoteEtag(createHash('md5').update(content).digest('hex')));
}
