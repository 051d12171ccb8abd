import { BadRequest, BadSignature, RawPostDataException } from '../exceptions';
import { cookieSigner } from '../signing';
import { jsonNestsDeeperThan, mediaType, MultipartParser, type ParsedForm } from './body';
import { accepts, parseAccept, preferredType, type MediaRange } from './accept';
import { parseCookies } from './cookies';
import { RequestHeaders, type RawHeaderValue } from './headers';
import { buildMeta } from './meta';
import { QueryDict } from './query-dict';
import { checkedHost, proxiedScheme, rawHost, requestPort } from './request-host';
import type { HttpRequestInit, RequestApp, ResolverMatch } from './request-types';
import type { UploadedFile } from './uploaded-file';
import type { UpgradeContext } from './upgrade-context';
import type { WebSocketConnection } from './websocket-connection';

const EMPTY_BODY = Buffer.alloc(0);

/**
 * What the server read of a body after building the request from its head: the raw bytes, or a
 * multipart body parsed as it streamed in (its raw bytes were never kept), or why that parse failed.
 */
export type ReceivedBody =
  { readonly raw: Buffer } | { readonly form: ParsedForm } | { readonly formError: Error };

// Set in HttpRequest's static block, where its private fields are in reach.
let receive: (request: HttpRequest, body: ReceivedBody) => void;

/**
 * Gives a request built from its head the body read afterwards. The server's use only (it checks
 * `ALLOWED_HOSTS` before reading a byte of the body); not exported by the package.
 */
export function receiveBody(request: HttpRequest, body: ReceivedBody): void {
  receive(request, body);
}

/**
 * What your middleware attaches to every request, Django style (`request.user = ...`). Declare it
 * once and `HttpRequest` has it:
 *
 * ```ts
 * declare module '@manouche/core' {
 *   interface RequestState { user: User | null }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RequestState {}

// Interface-class merging: what users declare on `RequestState` becomes part of every `HttpRequest`.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface HttpRequest extends RequestState {}

/**
 * Django's `HttpRequest`: what a view and every middleware hook receive. Query and form data, cookies
 * and `META` are parsed on first use and kept.
 *
 * Attach your own per-request state the Django way (`request.user = ...`) after declaring it:
 * `declare module '@manouche/core' { interface RequestState { user: User | null } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class HttpRequest {
  /** Upper-case method. */
  readonly method: string;
  /** The decoded path (`/posts/1/`). */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly queryString: string;
  /** Case-insensitive request headers. */
  readonly headers: RequestHeaders;
  readonly remoteAddress: string;
  readonly serverPort: number;
  /** The accepted WebSocket, set immediately before a WebSocket view's body runs; else `null`. */
  websocket: WebSocketConnection | null;
  /** The socket of an `Upgrade` request; `null` for plain HTTP. */
  readonly upgrade: UpgradeContext | null;
  /** The application handling the request (`null` until `Application.handle` takes it). */
  app: RequestApp | null;
  /** Set once the URL resolves. */
  resolverMatch: ResolverMatch | null;

  readonly #connectionScheme: 'http' | 'https';
  readonly #serverProtocol: 'HTTP/1.1' | 'HTTP/2.0';
  /** `null` once a multipart body was streamed into `POST` and `FILES` without its raw bytes. */
  #body: Buffer | null;
  #GET: QueryDict | null;
  #form: ParsedForm | null;
  #formError: Error | null;
  #COOKIES: Record<string, string> | null;
  #META: Record<string, string> | null;

  constructor(init: HttpRequestInit = {}) {
    this.method = (init.method ?? 'GET').toUpperCase();
    this.path = init.path ?? '/';
    this.queryString = init.queryString ?? '';
    this.#body =
      init.body === undefined
        ? EMPTY_BODY
        : typeof init.body === 'string'
          ? Buffer.from(init.body)
          : init.body;
    const headers = init.headers ?? {};
    this.headers = new RequestHeaders(init.headersAreLowerCase ? headers : lowerCaseKeys(headers));
    this.#connectionScheme = init.scheme ?? 'http';
    this.#serverProtocol = init.serverProtocol ?? 'HTTP/1.1';
    this.remoteAddress = init.remoteAddress ?? '127.0.0.1';
    this.serverPort = init.serverPort ?? 80;
    this.websocket = null;
    this.upgrade = init.upgrade ?? null;
    this.app = null;
    this.resolverMatch = null;
    this.#GET = null;
    this.#form = null;
    this.#formError = null;
    this.#COOKIES = null;
    this.#META = null;
  }

  static {
    receive = (request, body) => {
      if ('raw' in body) {
        request.#body = body.raw;
      } else if ('form' in body) {
        request.#body = null;
        request.#form = body.form;
      } else {
        request.#body = null;
        request.#formError = body.formError;
      }
    };
  }

  /**
   * The raw body. A multipart body that came over a socket was parsed as it arrived, files going to
   * disk past `FILE_UPLOAD_MAX_MEMORY_SIZE`, and its raw bytes were not kept: reading `body` then
   * throws {@link RawPostDataException} (use `POST` and `FILES`), as Django does.
   */
  get body(): Buffer {
    if (this.#body === null)
      throw new RawPostDataException(
        "You cannot access body after reading from request's data stream: the multipart body was parsed as it arrived; read POST and FILES",
      );
    return this.#body;
  }

  /** The path as Django's `path_info` (no script prefix here, so the same as `path`). */
  get pathInfo(): string {
    return this.path;
  }

  /** Query parameters. A malformed query string throws {@link BadRequest} (400). */
  get GET(): QueryDict {
    if (this.#GET === null) this.#GET = QueryDict.parse(this.queryString, this.#maxFields());
    return this.#GET;
  }

  /** Form fields of an urlencoded or multipart body; empty for any other content type. */
  get POST(): QueryDict {
    return this.#parsedForm().POST;
  }

  /** Files of a multipart body, by field name. */
  get FILES(): Map<string, UploadedFile[]> {
    return this.#parsedForm().FILES;
  }

  /**
   * Cookies sent by the client, in an object without a prototype: `COOKIES.constructor` is
   * `undefined` unless a cookie has that name (use `name in COOKIES` or `Object.hasOwn`).
   */
  get COOKIES(): Record<string, string> {
    if (this.#COOKIES === null) this.#COOKIES = parseCookies(this.headers.get('cookie'));
    return this.#COOKIES;
  }

  /**
   * Django's `get_signed_cookie`: the value of a cookie set with `response.setSignedCookie()`, once its
   * signature (and, with `maxAge`, its age in seconds) checks out. A missing or tampered cookie gives
   * `options.default` when one is given, else throws (`KeyError`'s place is taken by
   * {@link BadSignature} for both, so one `catch` covers them).
   */
  getSignedCookie(name: string, options: { default?: string; salt?: string; maxAge?: number } = {}): string {
    const signed = Object.prototype.hasOwnProperty.call(this.COOKIES, name) ? this.COOKIES[name] : undefined;
    try {
      if (signed === undefined) throw new BadSignature(`No cookie named ${JSON.stringify(name)}`);
      return cookieSigner(name, options.salt, this.app?.settings.SECRET_KEY).unsign(signed, options.maxAge);
    } catch (error) {
      if (options.default !== undefined && error instanceof BadSignature) return options.default;
      throw error;
    }
  }

  /**
   * Django's `META`: `REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`, `REMOTE_ADDR`, `HTTP_*`... In an
   * object without a prototype, like `COOKIES`.
   */
  get META(): Record<string, string> {
    if (this.#META === null) this.#META = buildMeta(this, this.#connectionScheme, this.#serverProtocol);
    return this.#META;
  }

  /** The media type of the body (`application/json`), lower case, no parameters. */
  get contentType(): string {
    return mediaType(this.headers.get('content-type'));
  }

  /**
   * The body parsed as JSON. Invalid JSON, or arrays and objects nested deeper than
   * `DATA_UPLOAD_MAX_JSON_DEPTH` (checked before parsing), throws {@link BadRequest} (400).
   */
  json<T = unknown>(): T {
    const body = this.body;
    const maxDepth = this.app?.settings.DATA_UPLOAD_MAX_JSON_DEPTH ?? DEFAULT_MAX_JSON_DEPTH;
    if (jsonNestsDeeperThan(body, maxDepth))
      throw new BadRequest(`JSON body nested deeper than DATA_UPLOAD_MAX_JSON_DEPTH (${maxDepth})`);
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (error) {
      throw new BadRequest(`Invalid JSON body: ${(error as Error).message}`);
    }
  }

  /**
   * `http` or `https`, as the client used it (Django's `request.scheme`): when the
   * `SECURE_PROXY_SSL_HEADER` header is present, it alone decides (a proxy terminated TLS, or passed
   * plain HTTP on over a TLS hop); otherwise the connection's own scheme.
   */
  get scheme(): 'http' | 'https' {
    return proxiedScheme(this) ?? this.#connectionScheme;
  }

  /**
   * The protocol the request came in: `HTTP/1.1` or `HTTP/2.0` (`META.SERVER_PROTOCOL`, without
   * building `META`).
   */
  get serverProtocol(): 'HTTP/1.1' | 'HTTP/2.0' {
    return this.#serverProtocol;
  }

  /**
   * True when {@link HttpRequest.scheme} is `https`. The proxy header may be named as in Django
   * (`['HTTP_X_FORWARDED_PROTO', 'https']`) or plainly (`X-Forwarded-Proto`).
   */
  isSecure(): boolean {
    return this.scheme === 'https';
  }

  /**
   * True when the request asks for a WebSocket: one of the comma-separated tokens of its `Upgrade`
   * header is `websocket`, in any case, whatever the method; or it is an HTTP/2 extended CONNECT
   * with `:protocol` `websocket` (RFC 8441). This is the one test of "is this a
   * WebSocket handshake": `@manouche/websocket` treats exactly these requests as handshakes, upgrading
   * or refusing them (a `POST`, or a missing `Sec-WebSocket-Key`, gets 400), so a middleware that
   * checks it sees every request the package handles. `request.websocket` is set only once the
   * handshake is accepted.
   */
  isWebsocket(): boolean {
    // An HTTP/2 extended CONNECT carries no Upgrade header: the server marks it.
    if (this.upgrade?.transport === 'h2') return true;
    const upgrade = this.headers.get('upgrade');
    return upgrade !== null && upgrade.split(',').some((token) => token.trim().toLowerCase() === 'websocket');
  }

  /**
   * The host the client asked for, with its port. Throws {@link DisallowedHost} (400) when it is not in
   * `ALLOWED_HOSTS`.
   */
  getHost(): string {
    return checkedHost(this);
  }

  /**
   * The Host header (or `X-Forwarded-Host` with `USE_X_FORWARDED_HOST`), unchecked. Without either,
   * Django's reconstruction: the server name, with the port when it is not the scheme's default.
   */
  rawHost(): string {
    return rawHost(this);
  }

  /**
   * The port the request came in on, as a string (Django's `get_port()`): `X-Forwarded-Port` with
   * `USE_X_FORWARDED_PORT`, else the server's port.
   */
  getPort(): string {
    return requestPort(this);
  }

  /** The `Accept` header's media ranges, most preferred first (a missing header accepts everything). */
  get acceptedTypes(): readonly MediaRange[] {
    return parseAccept(this.headers.get('accept'));
  }

  /** Whether the client accepts `mediaType` (`'application/json'`), as Django's `accepts()`. */
  accepts(mediaType: string): boolean {
    return accepts(this.acceptedTypes, mediaType);
  }

  /**
   * The one of `mediaTypes` the client prefers by its `Accept` header, or `null` when it accepts none
   * (Django 5.2's `get_preferred_type()`).
   */
  getPreferredType(mediaTypes: readonly string[]): string | null {
    return preferredType(this.acceptedTypes, mediaTypes);
  }

  /** The full path with the query string (`/search?q=x`). */
  getFullPath(): string {
    return this.queryString === '' ? this.path : `${this.path}?${this.queryString}`;
  }

  /** An absolute URL for `location` (default: this request's full path). */
  buildAbsoluteUri(location?: string): string {
    if (location !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(location)) return location;
    const base = `${this.isSecure() ? 'https' : 'http'}://${this.getHost()}`;
    if (location === undefined) return base + this.getFullPath();
    return new URL(location, base + this.path).toString();
  }

  /**
   * Whether a multipart body waits for {@link HttpRequest.loadForm}: true only for a request built
   * in process with a multipart body (the server parses the ones it reads as they arrive).
   */
  get formPending(): boolean {
    return (
      this.#form === null &&
      this.#formError === null &&
      this.#body !== null &&
      this.#body.length > 0 &&
      this.contentType === 'multipart/form-data'
    );
  }

  /**
   * Parses a multipart body held in memory (a request built in process, by the test client or the
   * request factory) ahead of the view, busboy being asynchronous; `Application.handle` calls it, so
   * `POST` and `FILES` stay synchronous. The body is in memory already, so its files stay there. A
   * parse error is kept and thrown when `POST` is read.
   */
  async loadForm(): Promise<void> {
    if (!this.formPending) return;
    const settings = this.app?.settings;
    const parser = new MultipartParser(this.headers.get('content-type')!, {
      maxParts: this.#maxFields(),
      maxFieldBytes: settings?.DATA_UPLOAD_MAX_MEMORY_SIZE ?? Number.POSITIVE_INFINITY,
      maxMemoryFileBytes: Number.POSITIVE_INFINITY,
      temporaryDirectory: '',
    });
    parser.write(this.#body!);
    parser.end();
    try {
      this.#form = await parser.result;
    } catch (error) {
      this.#formError = error as Error;
    }
  }

  #parsedForm(): ParsedForm {
    if (this.#formError !== null) throw this.#formError;
    if (this.#form !== null) return this.#form;
    const body = this.body;
    if (this.contentType === 'application/x-www-form-urlencoded' && body.length > 0) {
      this.#form = { POST: QueryDict.parse(body.toString('utf8'), this.#maxFields()), FILES: new Map() };
    } else if (this.contentType === 'multipart/form-data' && body.length > 0) {
      throw new BadRequest('The multipart body has not been parsed: await request.loadForm() first');
    } else {
      this.#form = { POST: new QueryDict(), FILES: new Map() };
    }
    return this.#form;
  }

  #maxFields(): number {
    return this.app?.settings.DATA_UPLOAD_MAX_NUMBER_FIELDS ?? 1000;
  }
}

/** `DATA_UPLOAD_MAX_JSON_DEPTH`'s default, for a request not yet handled by an application. */
const DEFAULT_MAX_JSON_DEPTH = 100;

function lowerCaseKeys(headers: Record<string, RawHeaderValue>): Record<string, RawHeaderValue> {
  // Node's parser already lower-cases; only hand-built requests (tests, the factory) need the copy.
  for (const name in headers) {
    if (name !== name.toLowerCase()) {
      // fromEntries defines each key, so a `__proto__` header stays a header, not the prototype.
      return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
    }
  }
  return headers;
}
