import { ImproperlyConfigured } from './exceptions';
import type { Logger } from './log';

/**
 * The settings object, Django's names as keys. Only `ROOT_URLCONF` is required; `defineSettings`
 * gives the object its type without changing it. Your own settings live beside ours.
 *
 * The settings whose types belong to an area are declared by that area (interface merging):
 * `ROOT_URLCONF` by the URL patterns, `MIDDLEWARE`/`MIDDLEWARE_CLASSES` by the handler, `TEMPLATES`
 * by the template engines, `SESSION_STORE` by the sessions. The table below validates them all.
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

/**
 * Types a settings object (and nothing else): `export default defineSettings({ ... })`. A name one
 * edit away from a setting Manouche knows (`DEBUGG`, `ALLOWED_HOST`, `MIDDELWARE`) does not compile,
 * and the error names the setting meant: `"Unknown setting DEBUGG; did you mean DEBUG?"`. Other
 * names are your own settings, as in Django.
 */
export function defineSettings<T extends Settings>(settings: T & MisspelledSettings<T>): T {
  return settings;
}

/**
 * Whether `A` becomes `B` by one inserted, deleted or replaced character, or two neighbours swapped
 * (or is `B`).
 */
type WithinOneEdit<A extends string, B extends string> = A extends `${infer FirstA}${infer RestA}`
  ? B extends `${infer FirstB}${infer RestB}`
    ? FirstA extends FirstB
      ? WithinOneEdit<RestA, RestB>
      : RestA extends RestB
        ? true
        : RestA extends B
          ? true
          : A extends RestB
            ? true
            : RestA extends `${FirstB}${infer TailA}`
              ? RestB extends `${FirstA}${TailA}`
                ? true
                : false
              : false
    : RestA extends ''
      ? true
      : false
  : B extends `${string}${infer RestB}`
    ? RestB extends ''
      ? true
      : false
    : true;

/** The known settings `Name` is one edit away from (`never` for a known name or a name of your own). */
type SettingMeant<Name extends string> = Name extends keyof KnownSettings
  ? never
  : {
      [Known in keyof KnownSettings & string]: WithinOneEdit<Name, Known> extends true ? Known : never;
    }[keyof KnownSettings & string];

/**
 * Each misspelled setting of `T`, typed as an object whose only key is the error message: no value
 * can be one, and the compiler's error quotes the key.
 */
type MisspelledSettings<T> = {
  [
    Name in keyof T as Name extends string ? (SettingMeant<Name> extends never ? never : Name) : never
  ]: Name extends string
    ? { [Message in `Unknown setting ${Name}; did you mean ${SettingMeant<Name>}?`]: never }
    : never;
};

type Check = (value: unknown) => boolean;
const isBoolean: Check = (v) => typeof v === 'boolean';
const isNonNegativeInteger: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isPositiveInteger: Check = (v) => Number.isInteger(v) && (v as number) > 0;
const isStringArray: Check = (v) => Array.isArray(v) && v.every((item) => typeof item === 'string');
const isFunctionArray: Check = (v) => Array.isArray(v) && v.every((item) => typeof item === 'function');
const isStringOrNull: Check = (v) => v === null || typeof v === 'string';
const isNonEmptyString: Check = (v) => typeof v === 'string' && v.length > 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isSameSite: Check = (v) => v === 'Strict' || v === 'Lax' || v === 'None';
const isTemplateBackend: Check = (v) => {
  if (typeof v !== 'object' || v === null) return false;
  const entry = v as Record<string, unknown>;
  return (
    typeof entry.BACKEND === 'function' &&
    (entry.DIRS === undefined || isStringArray(entry.DIRS)) &&
    (entry.OPTIONS === undefined || (typeof entry.OPTIONS === 'object' && entry.OPTIONS !== null))
  );
};

/** The settings Manouche knows: `Settings` without the index signature that lets yours live beside. */
type KnownSettings = {
  [K in keyof Settings as string extends K ? never : K]-?: Exclude<Settings[K], undefined>;
};

/** How one setting is checked, and its default when it has one. */
interface SettingSpec<T> {
  readonly default?: T;
  readonly check: Check;
  /** What the setting must be, for the error message ("a boolean"). */
  readonly expected: string;
}

const isPattern: Check = (v) => {
  if (v instanceof RegExp) return true;
  if (typeof v !== 'string') return false;
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
};

/**
 * Every setting Manouche reads, once: its check, its default, and (from which entries have a
 * default) the type of the resolved settings. A setting missing here does not compile.
 */
const SPECS = {
  ROOT_URLCONF: {
    check: (v) => Array.isArray(v) || (isObject(v) && Array.isArray(v.urlpatterns)),
    expected: 'an array of path()/include() entries, or a module exporting them as urlpatterns',
  },
  MIDDLEWARE: {
    check: (v) => v === null || isFunctionArray(v),
    expected: 'an array of middleware classes or factories',
  },
  MIDDLEWARE_CLASSES: { default: [], check: isFunctionArray, expected: 'an array of middleware classes' },
  DEBUG: { default: false, check: isBoolean, expected: 'a boolean' },
  ALLOWED_HOSTS: {
    default: ['localhost', '127.0.0.1', '[::1]'],
    check: isStringArray,
    expected: 'an array of host names',
  },
  APPEND_SLASH: { default: true, check: isBoolean, expected: 'a boolean' },
  PREPEND_WWW: { default: false, check: isBoolean, expected: 'a boolean' },
  DISALLOWED_USER_AGENTS: {
    default: [],
    check: (v) => Array.isArray(v) && v.every((item) => item instanceof RegExp),
    expected: 'an array of regular expressions',
  },
  SECRET_KEY: { check: (v) => typeof v === 'string' && v.length > 0, expected: 'a non-empty string' },
  SESSION_STORE: {
    check: (v) =>
      typeof v === 'object' &&
      v !== null &&
      ['load', 'save', 'delete'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
    expected: 'an object with load(), save() and delete()',
  },
  SESSION_COOKIE_NAME: { default: 'sessionid', check: isNonEmptyString, expected: 'a cookie name' },
  SESSION_COOKIE_AGE: {
    default: 1_209_600,
    check: isPositiveInteger,
    expected: 'a positive integer (seconds)',
  },
  SESSION_COOKIE_SECURE: { default: false, check: isBoolean, expected: 'a boolean' },
  SESSION_COOKIE_HTTPONLY: { default: true, check: isBoolean, expected: 'a boolean' },
  SESSION_COOKIE_SAMESITE: { default: 'Lax', check: isSameSite, expected: "'Strict', 'Lax' or 'None'" },
  SESSION_COOKIE_PATH: { default: '/', check: isNonEmptyString, expected: 'a path' },
  SESSION_COOKIE_DOMAIN: { check: isStringOrNull, expected: 'a domain or null' },
  SESSION_SAVE_EVERY_REQUEST: { default: false, check: isBoolean, expected: 'a boolean' },
  SESSION_EXPIRE_AT_BROWSER_CLOSE: { default: false, check: isBoolean, expected: 'a boolean' },
  CSRF_COOKIE_NAME: { default: 'csrftoken', check: isNonEmptyString, expected: 'a cookie name' },
  CSRF_COOKIE_AGE: {
    default: 31_449_600,
    check: isPositiveInteger,
    expected: 'a positive integer (seconds)',
  },
  CSRF_COOKIE_PATH: { default: '/', check: isNonEmptyString, expected: 'a path' },
  CSRF_COOKIE_SECURE: { default: false, check: isBoolean, expected: 'a boolean' },
  CSRF_COOKIE_HTTPONLY: { default: false, check: isBoolean, expected: 'a boolean' },
  CSRF_COOKIE_SAMESITE: { default: 'Lax', check: isSameSite, expected: "'Strict', 'Lax' or 'None'" },
  CSRF_HEADER_NAME: { default: 'X-CSRFToken', check: isNonEmptyString, expected: 'a header name' },
  CSRF_TRUSTED_ORIGINS: { default: [], check: isStringArray, expected: 'an array of origins' },
  CSRF_COOKIE_DOMAIN: { check: isStringOrNull, expected: 'a domain or null' },
  CSRF_USE_SESSIONS: { default: false, check: isBoolean, expected: 'a boolean' },
  CSRF_FAILURE_VIEW: {
    check: (v) => v === null || typeof v === 'function',
    expected: 'a view (request, reason) => response, or null',
  },
  AUTHENTICATION_BACKENDS: {
    default: [],
    check: (v) => {
      if (!Array.isArray(v)) return false;
      const isBackend = (b: unknown): b is object =>
        isObject(b) &&
        typeof b.getUser === 'function' &&
        (b.authenticate === undefined || typeof b.authenticate === 'function');
      // The session remembers a backend by name, so two backends must not share one.
      return v.every(isBackend) && new Set(v.map(authBackendName)).size === v.length;
    },
    expected:
      'an array of authentication backends: objects with getUser() (and authenticate()), each with its own name (its `name` property, else its class name)',
  },
  LOGIN_URL: { default: '/accounts/login/', check: isNonEmptyString, expected: 'a path or a URL name' },
  LOGIN_REDIRECT_URL: {
    default: '/accounts/profile/',
    check: isNonEmptyString,
    expected: 'a path or a URL name',
  },
  LOGOUT_REDIRECT_URL: {
    check: (v) => v === null || isNonEmptyString(v),
    expected: 'a path, a URL name or null',
  },
  MESSAGE_STORAGE: {
    check: (v) => typeof v === 'function',
    expected: 'a message storage class (FallbackStorage, CookieStorage, SessionStorage or a subclass)',
  },
  MESSAGE_LEVEL: { default: 20, check: Number.isInteger, expected: 'an integer (messages.INFO is 20)' },
  MESSAGE_TAGS: {
    default: {},
    check: (v) =>
      isObject(v) &&
      !Array.isArray(v) &&
      Object.entries(v).every(([level, tag]) => /^-?\d+$/.test(level) && typeof tag === 'string'),
    expected: 'an object mapping integer levels to CSS classes ({ 40: "danger" })',
  },
  MESSAGE_MAX_STORED: { default: 100, check: isPositiveInteger, expected: 'a positive integer' },
  CHANNEL_LAYER: {
    check: (v) =>
      v === null || (typeof v === 'object' && typeof (v as Record<string, unknown>).groupSend === 'function'),
    expected: 'a channel layer (InMemoryChannelLayer, RedisChannelLayer) or null',
  },
  DATA_UPLOAD_MAX_MEMORY_SIZE: {
    default: 2_621_440,
    check: isPositiveInteger,
    expected: 'a positive integer (bytes)',
  },
  DATA_UPLOAD_MAX_NUMBER_FIELDS: { default: 1000, check: isPositiveInteger, expected: 'a positive integer' },
  REQUEST_MAX_BODY_SIZE: {
    default: 104_857_600,
    check: isPositiveInteger,
    expected: 'a positive integer (bytes)',
  },
  FILE_UPLOAD_MAX_MEMORY_SIZE: {
    default: 2_621_440,
    check: isNonNegativeInteger,
    expected: 'a non-negative integer (bytes)',
  },
  FILE_UPLOAD_TEMP_DIR: { default: null, check: isStringOrNull, expected: 'a directory path or null' },
  DATA_UPLOAD_MAX_JSON_DEPTH: { default: 100, check: isPositiveInteger, expected: 'a positive integer' },
  REQUEST_HEADERS_TIMEOUT: {
    default: 20_000,
    check: isNonNegativeInteger,
    expected: 'a non-negative integer (ms; 0 turns it off)',
  },
  REQUEST_TIMEOUT: {
    default: 120_000,
    check: isNonNegativeInteger,
    expected: 'a non-negative integer (ms; 0 turns it off)',
  },
  KEEP_ALIVE_TIMEOUT: {
    default: 5_000,
    check: isNonNegativeInteger,
    expected: 'a non-negative integer (ms; 0 keeps idle connections open)',
  },
  MAX_CONNECTIONS: {
    default: null,
    check: (v) => v === null || isPositiveInteger(v),
    expected: 'a positive integer or null (no limit)',
  },
  HTTP2_MAX_CONCURRENT_STREAMS: { default: 100, check: isPositiveInteger, expected: 'a positive integer' },
  HTTP2_MAX_HEADER_LIST_SIZE: {
    default: 65_536,
    check: isPositiveInteger,
    expected: 'a positive integer (bytes)',
  },
  TEMPLATES: {
    default: [],
    // Checked entry by entry: a bad entry would otherwise fail later as a bare TypeError.
    check: (v) => Array.isArray(v) && v.every(isTemplateBackend),
    expected: 'an array of { BACKEND, DIRS, OPTIONS } objects (BACKEND a class, DIRS an array of paths)',
  },
  LOGGER: {
    check: (v) =>
      typeof v === 'object' &&
      v !== null &&
      ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
    expected: 'an object with info(), warn() and error()',
  },
  SECURE_PROXY_SSL_HEADER: {
    check: (v) => v === null || (isStringArray(v) && (v as string[]).length === 2),
    expected: 'a [header, value] pair or null',
  },
  USE_X_FORWARDED_HOST: { default: false, check: isBoolean, expected: 'a boolean' },
  USE_X_FORWARDED_PORT: { default: false, check: isBoolean, expected: 'a boolean' },
  SECURE_CONTENT_TYPE_NOSNIFF: { default: true, check: isBoolean, expected: 'a boolean' },
  SECURE_HSTS_SECONDS: { default: 0, check: isNonNegativeInteger, expected: 'a non-negative integer' },
  SECURE_HSTS_INCLUDE_SUBDOMAINS: { default: false, check: isBoolean, expected: 'a boolean' },
  SECURE_HSTS_PRELOAD: { default: false, check: isBoolean, expected: 'a boolean' },
  SECURE_REFERRER_POLICY: {
    default: 'same-origin',
    check: (v) => isStringOrNull(v) || isStringArray(v),
    expected: 'a string, an array of strings, or null',
  },
  SECURE_CROSS_ORIGIN_OPENER_POLICY: {
    default: 'same-origin',
    check: isStringOrNull,
    expected: 'a string or null',
  },
  SECURE_SSL_REDIRECT: { default: false, check: isBoolean, expected: 'a boolean' },
  X_FRAME_OPTIONS: {
    default: 'DENY',
    // Any case, as Django upper-cases it when sending.
    check: (v) => typeof v === 'string' && ['DENY', 'SAMEORIGIN'].includes(v.toUpperCase()),
    expected: "'DENY' or 'SAMEORIGIN' (any case)",
  },
  WEBSOCKET_ACCEPT_ALL: { default: false, check: isBoolean, expected: 'a boolean' },
  WEBSOCKET_ALLOWED_ORIGINS: {
    check: (v) => v === null || isStringArray(v),
    expected: 'an array of origins or null',
  },
  WEBSOCKET_MAX_MESSAGE_SIZE: {
    default: 1_048_576,
    check: isPositiveInteger,
    expected: 'a positive integer (bytes)',
  },
  WEBSOCKET_PING_INTERVAL: {
    default: 20_000,
    check: isNonNegativeInteger,
    expected: 'a non-negative integer (ms; 0 turns pings off)',
  },
  WEBSOCKET_PER_MESSAGE_DEFLATE: { default: false, check: isBoolean, expected: 'a boolean' },
  WEBSOCKET_MAX_BUFFERED: {
    default: 1_048_576,
    check: isPositiveInteger,
    expected: 'a positive integer (bytes)',
  },
  WEBSOCKET_CLOSE_TIMEOUT: { default: 5000, check: isPositiveInteger, expected: 'a positive integer (ms)' },
  WEBSOCKET_FALLBACK_IDLE_TIMEOUT: {
    default: 30_000,
    check: isPositiveInteger,
    expected: 'a positive integer (ms)',
  },
  WEBSOCKET_FALLBACK_MAX_CONNECTIONS: {
    default: 10_000,
    check: isPositiveInteger,
    expected: 'a positive integer',
  },
  EVENT_STREAM_HEARTBEAT_INTERVAL: {
    default: 15_000,
    check: isNonNegativeInteger,
    expected: 'a non-negative integer (ms; 0 turns heartbeats off)',
  },
  EVENT_STREAM_MAX_BUFFERED: {
    default: 1_048_576,
    check: isPositiveInteger,
    expected: 'a positive integer (bytes)',
  },
  SECURE_SSL_HOST: { check: isStringOrNull, expected: 'a host name or null' },
  SECURE_REDIRECT_EXEMPT: {
    check: (v) => Array.isArray(v) && v.every(isPattern),
    expected: 'an array of patterns (strings that compile as regular expressions, or RegExps)',
  },
  SILENCED_SYSTEM_CHECKS: { check: isStringArray, expected: "an array of check ids (['manouche.W002'])" },
} satisfies { readonly [K in keyof KnownSettings]: SettingSpec<KnownSettings[K]> };

type SettingsTable = typeof SPECS;

/** The settings the table gives a default: always present once resolved. */
type DefaultedSetting = {
  [K in keyof SettingsTable]: SettingsTable[K] extends { readonly default: unknown } ? K : never;
}[keyof SettingsTable];

/** The settings after `createApp` filled in the defaults. */
export type ResolvedSettings = Settings & Required<Pick<Settings, DefaultedSetting>>;

/** The names of every setting Manouche reads (for `manouche check`'s unknown-setting warning). */
export const KNOWN_SETTINGS: readonly string[] = Object.keys(SPECS);

/**
 * Checks every known setting's type and fills in the defaults. Throws {@link ImproperlyConfigured}
 * naming the first bad setting and what it should be.
 */
export function resolveSettings(settings: Settings): ResolvedSettings {
  if (typeof settings !== 'object' || settings === null) {
    throw new ImproperlyConfigured('createApp() needs a settings object');
  }
  if (settings.ROOT_URLCONF === undefined) {
    throw new ImproperlyConfigured(
      'The ROOT_URLCONF setting is required: an array of path()/include() entries',
    );
  }
  const resolved: Record<string, unknown> = { ...settings };
  for (const [name, spec] of Object.entries(SPECS) as Array<[string, SettingSpec<unknown>]>) {
    const value = resolved[name];
    if (value === undefined) {
      if (spec.default !== undefined) resolved[name] = structuredCloneDefault(spec.default);
      continue;
    }
    if (!spec.check(value)) {
      throw new ImproperlyConfigured(`The ${name} setting must be ${spec.expected}; got ${describe(value)}`);
    }
  }
  const middleware = resolved.MIDDLEWARE as unknown[] | null | undefined;
  const legacy = resolved.MIDDLEWARE_CLASSES as unknown[];
  if (middleware && middleware.length > 0 && legacy.length > 0) {
    throw new ImproperlyConfigured(
      'MIDDLEWARE and MIDDLEWARE_CLASSES are both set: remove one (MIDDLEWARE wins in Django 1.10+, so MIDDLEWARE_CLASSES would be ignored)',
    );
  }
  const headersTimeout = resolved.REQUEST_HEADERS_TIMEOUT as number;
  const requestTimeout = resolved.REQUEST_TIMEOUT as number;
  if (headersTimeout > 0 && requestTimeout > 0 && headersTimeout > requestTimeout) {
    // Node's server refuses it too: the head is part of the request the longer timeout covers.
    throw new ImproperlyConfigured(
      `REQUEST_HEADERS_TIMEOUT (${headersTimeout} ms) must not exceed REQUEST_TIMEOUT (${requestTimeout} ms), which covers the whole request`,
    );
  }
  // A fresh copy: the object built key by key above is left in V8's slow dictionary mode, and these
  // settings are read on every request.
  return { ...resolved } as ResolvedSettings;
}

/**
 * How an `AUTHENTICATION_BACKENDS` entry is named in the session (Django stores the backend's dotted
 * path): its own `name` when it has one, else its class name.
 */
export function authBackendName(backend: object): string {
  const name = (backend as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : backend.constructor?.name || 'anonymous';
}

function structuredCloneDefault(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  return typeof value === 'object' && value !== null ? { ...value } : value;
}

/**
 * The value of a bad setting, for the error message. Objects and functions are described, never
 * converted with `String()`: one without a prototype, or with a `toString` that is not a function,
 * would throw a TypeError in place of the `ImproperlyConfigured` that names the setting.
 */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.map((item) => typeof item).join(', ') || 'empty'})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === null) return 'an object without a prototype';
    return prototype === Object.prototype
      ? 'an object'
      : `an object (${Object.prototype.toString.call(value)})`;
  }
  return `${typeof value} ${String(value)}`.slice(0, 80);
}
