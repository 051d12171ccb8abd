import { HttpRequest, type RawHeaderValue } from '@manouche/core';

/** Options shared by the test client and the request factory. */
export interface RequestOptions {
  /** Extra headers (any case). */
  headers?: Record<string, string>;
  /** The body's content type; `'application/json'` sends `data` as JSON. Default: a urlencoded form. */
  contentType?: string;
  /** `https` makes `request.isSecure()` true. */
  secure?: boolean;
}

/** Data for a request: a plain object (query or form fields; arrays repeat a key), or a raw body. */
export type RequestData = Record<string, unknown> | string | Buffer;

/** The Host every test request carries (one of the default `ALLOWED_HOSTS`). */
export const TEST_HOST = 'localhost';

const QUERY_METHODS = new Set(['GET', 'HEAD']);

/**
 * Builds the `HttpRequest` a browser would send. For GET and HEAD, `data` becomes the query string;
 * for the other methods it is the body: a plain object as a form (filling `request.POST`, as Django's
 * client does) unless `contentType` says JSON; a string or Buffer as is.
 */
export function buildRequest(
  method: string,
  target: string,
  data: RequestData | undefined,
  options: RequestOptions = {},
): HttpRequest {
  const upper = method.toUpperCase();
  const [rawPath = '/', existingQuery = ''] = splitTarget(target);
  const headers: Record<string, RawHeaderValue> = { host: TEST_HOST };
  let queryString = existingQuery;
  let body: Buffer | undefined;
  if (data !== undefined && QUERY_METHODS.has(upper)) {
    const extra = encodeForm(data);
    queryString = queryString === '' ? extra : `${queryString}&${extra}`;
  } else if (data !== undefined) {
    const contentType =
      options.contentType ??
      (typeof data === 'object' && !Buffer.isBuffer(data)
        ? 'application/x-www-form-urlencoded'
        : 'application/octet-stream');
    body = encodeBody(data, contentType);
    headers['content-type'] = contentType;
    headers['content-length'] = String(body.length);
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return new HttpRequest({
    method: upper,
    path: decodePath(rawPath),
    queryString,
    headers,
    body,
    scheme: options.secure ? 'https' : 'http',
    serverPort: options.secure ? 443 : 80,
  });
}

function splitTarget(target: string): [string, string] {
  const question = target.indexOf('?');
  return question === -1 ? [target, ''] : [target.slice(0, question), target.slice(question + 1)];
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function encodeBody(data: RequestData, contentType: string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data);
  if (contentType.startsWith('application/json')) return Buffer.from(JSON.stringify(data));
  return Buffer.from(encodeForm(data));
}

/** `{ a: 1, b: ['x', 'y'] }` -> `a=1&b=x&b=y`. */
export function encodeForm(data: RequestData): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  return params.toString();
}
