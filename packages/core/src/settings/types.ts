import type { Logger } from '../log';

/**
 * The settings object, Django's names as keys. Only `ROOT_URLCONF` is required; `defineSettings`
 * gives the object its type without changing it. Your own settings live beside ours.
 *
 * The settings whose types belong to an area are declared by that area (interface merging):
 * `ROOT_URLCONF` by the URL patterns, `MIDDLEWARE`/`MIDDLEWARE_CLASSES` by the handler, `TEMPLATES`
 * by the template engines, `SESSION_STORE` by the sessions. The table (`table.ts`) validates them all.
 */
export interface Settings {
  /** 500 pages carry the message and trace only when true. */
  DEBUG?: boolean;
  /** Host names the site serves; `'*'` allows all, `.example.com` a domain and its subdomains. */
  ALLOWED_HOSTS?: string[];
  /** `CommonMiddleware` redirects `/x` to `/x/` when only the latter resolves. */
  APPEND_SLASH?: boolean;
  /** `CommonMiddleware` redirects `example.com` to `www.example.com`. */
  PREPEND_WWW?: boolean;
  /** `CommonMiddleware` refuses (403) a request whose `User-Agent` matches one of these. */
  DISALLOWED_USER_AGENTS?: RegExp[];
  /**
   * Most bytes of a request body held in memory (larger: 413): the whole body, or only the non-file
   * fields of a multipart one, as in Django. Default 2.5 MiB, as in Django.
   */
  DATA_UPLOAD_MAX_MEMORY_SIZE?: number;
  /** Most fields accepted in a query string or form body (more: 400). */
  DATA_UPLOAD_MAX_NUMBER_FIELDS?: number;
  /** Largest request body of any kind, uploaded files included, in bytes (larger: 413). Default 100 MiB. */
  REQUEST_MAX_BODY_SIZE?: number;
  /**
   * Uploaded files stay in memory when the whole body is at most this many bytes, as in Django;
   * otherwise they are written to temporary files. Default 2.5 MiB, as in Django.
   */
  FILE_UPLOAD_MAX_MEMORY_SIZE?: number;
  /** Where uploads above `FILE_UPLOAD_MAX_MEMORY_SIZE` are written; `null` (default): the OS's temp dir. */
  FILE_UPLOAD_TEMP_DIR?: string | null;
  /** Deepest nesting of arrays and objects `request.json()` parses (deeper: 400). Default 100. */
  DATA_UPLOAD_MAX_JSON_DEPTH?: number;
  /** Milliseconds a client has to send a request's head (later: 408 and close). `0`: no limit. */
  REQUEST_HEADERS_TIMEOUT?: number;
  /** Milliseconds a client has to send a whole request, body included (later: 408 and close). `0`: no limit. */
  REQUEST_TIMEOUT?: number;
  /** Milliseconds an idle keep-alive connection is kept open between requests. */
  KEEP_ALIVE_TIMEOUT?: number;
  /** Most open connections, WebSockets included; past it a new connection is closed at once. `null`: no limit. */
  MAX_CONNECTIONS?: number | null;
  /** Most streams (requests, WebSockets) one HTTP/2 connection may have open at once. Default 100. */
  HTTP2_MAX_CONCURRENT_STREAMS?: number;
  /** Largest header list (names + values + 32 bytes per field) an HTTP/2 request may carry. Default 64 KiB. */
  HTTP2_MAX_HEADER_LIST_SIZE?: number;
  /** Where log lines go (default: stderr). */
  LOGGER?: Logger;
  /** `[header, value]` that marks a request as HTTPS behind a proxy. */
  SECURE_PROXY_SSL_HEADER?: [string, string] | null;
  /** Trust `X-Forwarded-Host` in `getHost()`. */
  USE_X_FORWARDED_HOST?: boolean;
  /** Trust `X-Forwarded-Port` in `getPort()`. */
  USE_X_FORWARDED_PORT?: boolean;
  SECURE_CONTENT_TYPE_NOSNIFF?: boolean;
  SECURE_HSTS_SECONDS?: number;
  SECURE_HSTS_INCLUDE_SUBDOMAINS?: boolean;
  SECURE_HSTS_PRELOAD?: boolean;
  /** `Referrer-Policy`: one policy, a comma-separated list of fallbacks, or an array of them. */
  SECURE_REFERRER_POLICY?: string | readonly string[] | null;
  SECURE_CROSS_ORIGIN_OPENER_POLICY?: string | null;
  SECURE_SSL_REDIRECT?: boolean;
  /** The host HTTPS redirects go to (default: the request's own host). */
  SECURE_SSL_HOST?: string | null;
  /** Paths (without their leading `/`) that `SECURE_SSL_REDIRECT` leaves on HTTP: strings or `RegExp`s. */
  SECURE_REDIRECT_EXEMPT?: Array<string | RegExp>;
  X_FRAME_OPTIONS?: string;
  /** Check ids `manouche check` leaves out (`'manouche.W002'`). */
  SILENCED_SYSTEM_CHECKS?: string[];
  /** Every view accepts WebSocket upgrades (needs `WebSocketMiddleware`). */
  WEBSOCKET_ACCEPT_ALL?: boolean;
  /** Origins allowed to open a WebSocket (`scheme://host[:port]`), `'*'` for all. */
  WEBSOCKET_ALLOWED_ORIGINS?: string[] | null;
  /** Largest WebSocket message, in bytes (larger: close 1009). */
  WEBSOCKET_MAX_MESSAGE_SIZE?: number;
  /** Ping interval in ms; a peer silent for two intervals is closed with 1001. */
  WEBSOCKET_PING_INTERVAL?: number;
  WEBSOCKET_PER_MESSAGE_DEFLATE?: boolean;
  /**
   * Bytes one WebSocket may hold for a peer that is not keeping up: sent but not yet taken by the
   * peer (past it the connection is closed with 1013), and received but not yet read by the view
   * (past it the server stops reading from the peer until the view catches up).
   */
  WEBSOCKET_MAX_BUFFERED?: number;
  /** How long a WebSocket's closing handshake may take, in ms, before the socket is destroyed. */
  WEBSOCKET_CLOSE_TIMEOUT?: number;
  /**
   * ms after which a WebSocket view's fallback connection (SSE or long polling) that no request has
   * touched is closed with 1001.
   */
  WEBSOCKET_FALLBACK_IDLE_TIMEOUT?: number;
  /** Most fallback connections (SSE or long polling) open at once per application; past it: 503. */
  WEBSOCKET_FALLBACK_MAX_CONNECTIONS?: number;
  /** ms between comment heartbeats on a quiet `EventStreamResponse`; 0: none. */
  EVENT_STREAM_HEARTBEAT_INTERVAL?: number;
  /** Bytes of events that may wait for an event-stream client that reads slowly; past it the stream ends. */
  EVENT_STREAM_MAX_BUFFERED?: number;
  /** Signs session cookies; required by `SessionMiddleware`. Keep it secret. */
  SECRET_KEY?: string;
  SESSION_COOKIE_NAME?: string;
  /** Seconds a session lives (two weeks, as in Django). */
  SESSION_COOKIE_AGE?: number;
  SESSION_COOKIE_SECURE?: boolean;
  SESSION_COOKIE_HTTPONLY?: boolean;
  SESSION_COOKIE_SAMESITE?: 'Strict' | 'Lax' | 'None';
  SESSION_COOKIE_PATH?: string;
  SESSION_COOKIE_DOMAIN?: string | null;
  SESSION_SAVE_EVERY_REQUEST?: boolean;
  CSRF_COOKIE_NAME?: string;
  CSRF_COOKIE_AGE?: number;
  CSRF_COOKIE_PATH?: string;
  CSRF_COOKIE_SECURE?: boolean;
  CSRF_COOKIE_HTTPONLY?: boolean;
  CSRF_COOKIE_SAMESITE?: 'Strict' | 'Lax' | 'None';
  /** The request header that may carry the token. */
  CSRF_HEADER_NAME?: string;
  /**
   * Origins (`https://example.com`) allowed to POST besides this site; `https://*.example.com` trusts
   * every subdomain.
   */
  CSRF_TRUSTED_ORIGINS?: string[];
  /** The CSRF cookie's `Domain` (`.example.com` to share it with subdomains); `null`: this host only. */
  CSRF_COOKIE_DOMAIN?: string | null;
  /** Keep the CSRF secret in the session instead of a cookie (needs `SessionMiddleware` before CSRF). */
  CSRF_USE_SESSIONS?: boolean;
  /** Where `loginRequired` sends anonymous users: a path (`/accounts/login/`) or a URL name. */
  LOGIN_URL?: string;
  /** Where `loginRedirectUrl()` sends a user who just logged in without a safe `next`: a path or a URL name. */
  LOGIN_REDIRECT_URL?: string;
  /** Where `logoutRedirectUrl()` sends a user who just logged out without a safe `next`; `null`: nowhere. */
  LOGOUT_REDIRECT_URL?: string | null;
  /** The lowest level of message recorded (`messages.INFO`, 20); lower ones are dropped silently. */
  MESSAGE_LEVEL?: number;
  /** CSS classes by message level, over the defaults (`{ 40: 'danger' }` renames `error`). */
  MESSAGE_TAGS?: Readonly<Record<number, string>>;
  /** Most messages kept for the next request; past it the oldest are dropped, with one warning. */
  MESSAGE_MAX_STORED?: number;
  /** The WebSocket groups' channel layer (`@manouche/websocket`): default in memory, Redis to scale out. */
  CHANNEL_LAYER?: { groupSend(group: string, message: string | Buffer): Promise<void> } | null;
  [setting: string]: unknown;
}

/** The settings Manouche knows: `Settings` without the index signature that lets yours live beside. */
export type KnownSettings = {
  [K in keyof Settings as string extends K ? never : K]-?: Exclude<Settings[K], undefined>;
};
