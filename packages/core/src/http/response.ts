import { STATUS_CODES } from 'node:http';
import { BadHeaderError, SuspiciousOperation } from '../exceptions';
import { cookieSigner } from '../signing';
import { serializeCookie, type CookieOptions } from './cookies';
import { ResponseHeaders, type HeadersInit } from './headers';

/** Options shared by every response constructor. */
export interface ResponseInit {
  /** 100-599; default 200. */
  status?: number;
  /** Default `text/html; charset=utf-8`, as in Django. */
  contentType?: string;
  headers?: HeadersInit;
  /**
   * The reason phrase; default the standard one for the status. Tab, space and visible Latin-1 only,
   * else {@link BadHeaderError}.
   */
  reason?: string;
}

const DEFAULT_CONTENT_TYPE = 'text/html; charset=utf-8';
const EMPTY = Buffer.alloc(0);
/** What a reason phrase may hold (RFC 9112 4): tab, space, visible ASCII and Latin-1. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Throws {@link BadHeaderError} for a reason phrase the status line can't carry: a control character
 * (CR/LF would forge header lines) or a character beyond Latin-1.
 */
function assertReasonPhrase(reason: string): void {
  if (!REASON_PHRASE.test(reason))
    throw new BadHeaderError(
      `Reason phrase ${JSON.stringify(reason)} can hold only tab, space and visible Latin-1 characters`,
    );
}

let readRawContent: (response: HttpResponse) => string | Buffer;

/**
 * The body as the server should write it: the string the response was built with (Node writes a
 * small string body together with the head, and nothing is encoded twice) or the bytes. Internal to
 * the server; users read `content`.
 */
export function contentForWire(response: HttpResponse): string | Buffer {
  return readRawContent(response);
}

/**
 * Django's `HttpResponse`: a status, headers, cookies and a body held in memory. Subclasses set the
 * status (`HttpResponseNotFound`...) or the body (`JsonResponse`).
 */
export class HttpResponse {
  statusCode: number;
  reasonPhrase: string;
  readonly headers: ResponseHeaders;
  /** `Set-Cookie` values by cookie name. */
  readonly cookies: Map<string, string>;
  /** True for a response whose body is produced while it is sent. */
  readonly streaming: boolean;
  // A string stays a string until someone asks for `content`: the server can write it without an
  // intermediate Buffer.
  #content: Buffer | string;

  static {
    readRawContent = (response) => response.#content;
  }

  constructor(content: string | Buffer = EMPTY, init: ResponseInit = {}) {
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new TypeError(`HTTP status code must be an integer from 100 to 599, not ${status}`);
    }
    this.statusCode = status;
    if (init.reason !== undefined) assertReasonPhrase(init.reason);
    this.reasonPhrase = init.reason ?? STATUS_CODES[status] ?? 'Unknown Status Code';
    this.headers = new ResponseHeaders(init.headers);
    this.headers.setDefault('Content-Type', init.contentType ?? DEFAULT_CONTENT_TYPE);
    this.cookies = new Map();
    this.streaming = false;
    this.#content = content;
  }

  /** The body as bytes (a string body is encoded as UTF-8). */
  get content(): Buffer {
    if (typeof this.#content === 'string') this.#content = Buffer.from(this.#content);
    return this.#content;
  }

  set content(value: string | Buffer) {
    this.#content = value;
  }

  /** The body decoded as UTF-8. */
  get text(): string {
    return this.content.toString('utf8');
  }

  /** The body parsed as JSON (for tests and clients). */
  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }

  /**
   * Adds a `Set-Cookie` (the last call for a name wins). A name that is not a cookie token, or an
   * option that can't be written, throws {@link BadHeaderError} naming the cookie.
   */
  setCookie(name: string, value: string, options: CookieOptions = {}): void {
    this.cookies.set(name, serializeCookie(name, value, options));
  }

  /**
   * Django's `set_signed_cookie`: `value` signed with a timestamp (verify it with
   * `request.getSignedCookie()`, which can also bound its age). The key is `secret`, else the
   * `SECRET_KEY` of the most recently created application; `salt` separates uses of one cookie name.
   */
  setSignedCookie(
    name: string,
    value: string,
    options: CookieOptions & { salt?: string; secret?: string } = {},
  ): void {
    const { salt, secret, ...cookie } = options;
    const signer = secret === undefined ? cookieSigner(name, salt) : cookieSigner(name, salt, secret);
    this.setCookie(name, signer.sign(value), cookie);
  }

  /**
   * Appends to the body, as Django's file-like `write()`: a view can build its content piece by piece.
   * Strings are encoded as UTF-8.
   */
  write(content: string | Buffer): void {
    const current = this.#content;
    this.#content =
      typeof current === 'string' && typeof content === 'string'
        ? current + content
        : Buffer.concat([this.content, typeof content === 'string' ? Buffer.from(content) : content]);
  }

  /**
   * Tells the client to drop a cookie (an empty value that expired in 1970). `Secure` is added for a
   * `__Secure-`/`__Host-` name and for `SameSite=None`, as Django does: browsers ignore a deletion
   * of such a cookie without it.
   */
  deleteCookie(
    name: string,
    options: Pick<CookieOptions, 'path' | 'domain' | 'sameSite' | 'secure'> = {},
  ): void {
    const secure =
      options.secure ??
      (name.startsWith('__Secure-') ||
        name.startsWith('__Host-') ||
        options.sameSite?.toLowerCase() === 'none');
    this.cookies.set(
      name,
      serializeCookie(name, '', { ...options, secure, maxAge: 0, expires: new Date(0) }),
    );
  }
}

/** 302 to `url`. */
export class HttpResponseRedirect extends HttpResponse {
  static readonly status: number = 302;

  constructor(url: string, init: Omit<ResponseInit, 'status'> = {}) {
    super(EMPTY, { ...init, status: (new.target as typeof HttpResponseRedirect).status });
    assertSafeRedirect(url);
    this.headers.set('Location', encodeURI(url).replace(/%25([0-9A-Fa-f]{2})/g, '%$1'));
  }

  /** The redirect target. */
  get url(): string {
    return this.headers.get('Location') ?? '';
  }
}

/** 301 to `url`. */
export class HttpResponsePermanentRedirect extends HttpResponseRedirect {
  static override readonly status: number = 301;
}

/** 304, no body. */
export class HttpResponseNotModified extends HttpResponse {
  constructor(init: Omit<ResponseInit, 'status'> = {}) {
    super(EMPTY, { ...init, status: 304 });
    this.headers.delete('Content-Type');
  }
}

/** 400. */
export class HttpResponseBadRequest extends HttpResponse {
  constructor(content: string | Buffer = EMPTY, init: Omit<ResponseInit, 'status'> = {}) {
    super(content, { ...init, status: 400 });
  }
}

/** 403. */
export class HttpResponseForbidden extends HttpResponse {
  constructor(content: string | Buffer = EMPTY, init: Omit<ResponseInit, 'status'> = {}) {
    super(content, { ...init, status: 403 });
  }
}

/** 404. */
export class HttpResponseNotFound extends HttpResponse {
  constructor(content: string | Buffer = EMPTY, init: Omit<ResponseInit, 'status'> = {}) {
    super(content, { ...init, status: 404 });
  }
}

/** 405 with `Allow` listing the permitted methods. */
export class HttpResponseNotAllowed extends HttpResponse {
  constructor(
    permittedMethods: readonly string[],
    content: string | Buffer = EMPTY,
    init: Omit<ResponseInit, 'status'> = {},
  ) {
    super(content, { ...init, status: 405 });
    this.headers.set('Allow', permittedMethods.map((method) => method.toUpperCase()).join(', '));
  }
}

/** 410. */
export class HttpResponseGone extends HttpResponse {
  constructor(content: string | Buffer = EMPTY, init: Omit<ResponseInit, 'status'> = {}) {
    super(content, { ...init, status: 410 });
  }
}

/** 500. */
export class HttpResponseServerError extends HttpResponse {
  constructor(content: string | Buffer = EMPTY, init: Omit<ResponseInit, 'status'> = {}) {
    super(content, { ...init, status: 500 });
  }
}

/** Options of {@link JsonResponse}: `JSON.stringify`'s replacer and indentation. */
export interface JsonResponseInit extends ResponseInit {
  replacer?: (this: unknown, key: string, value: unknown) => unknown;
  space?: number | string;
}

/**
 * A JSON body with `Content-Type: application/json`. Unlike Django any JSON value is accepted (`safe`
 * guarded against a browser bug that no supported browser has).
 */
export class JsonResponse extends HttpResponse {
  constructor(data: unknown, init: JsonResponseInit = {}) {
    const { replacer, space, ...rest } = init;
    super(JSON.stringify(data, replacer, space) ?? 'null', { contentType: 'application/json', ...rest });
  }
}

const SAFE_SCHEMES = new Set(['http', 'https', 'ftp']);

function assertSafeRedirect(url: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  if (scheme !== undefined && !SAFE_SCHEMES.has(scheme.toLowerCase())) {
    throw new SuspiciousOperation(`Unsafe redirect to URL with protocol ${JSON.stringify(scheme)}`);
  }
}
