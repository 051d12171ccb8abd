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
  /** Largest request body accepted, in bytes (larger: 413). Default 2.5 MiB, as in Django. */
  DATA_UPLOAD_MAX_MEMORY_SIZE?: number;
  /** Most fields accepted in a query string or form body (more: 400). */
  DATA_UPLOAD_MAX_NUMBER_FIELDS?: number;
  /** Where log lines go (default: stderr). */
  LOGGER?: Logger;
  /** `[header, value]` that marks a request as HTTPS behind a proxy. */
  SECURE_PROXY_SSL_HEADER?: [string, string] | null;
  /** Trust `X-Forwarded-Host` in `getHost()`. */
  USE_X_FORWARDED_HOST?: boolean;
  SECURE_CONTENT_TYPE_NOSNIFF?: boolean;
  SECURE_HSTS_SECONDS?: number;
  SECURE_HSTS_INCLUDE_SUBDOMAINS?: boolean;
  SECURE_HSTS_PRELOAD?: boolean;
  SECURE_REFERRER_POLICY?: string | null;
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
  /** Origins (`https://example.com`) allowed to POST besides this site. */
  CSRF_TRUSTED_ORIGINS?: string[];
  /** The WebSocket groups' channel layer (`@manouche/websocket`): default in memory, Redis to scale out. */
  CHANNEL_LAYER?: { groupSend(group: string, message: string | Buffer): Promise<void> } | null;
  [setting: string]: unknown;
}

/** Types a settings object (and nothing else): `export default defineSettings({ ... })`. */
export function defineSettings<T extends Settings>(settings: T): T {
  return settings;
}

type Check = (value: unknown) => boolean;
const isBoolean: Check = (v) => typeof v === 'boolean';
const isNonNegativeInteger: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isPositiveInteger: Check = (v) => Number.isInteger(v) && (v as number) > 0;
const isStringArray: Check = (v) => Array.isArray(v) && v.every((item) => typeof item === 'string');
const isFunctionArray: Check = (v) => Array.isArray(v) && v.every((item) => typeof item === 'function');
const isStringOrNull: Check = (v) => v === null || typeof v === 'string';
const isNonEmptyString: Check = (v) => typeof v === 'string' && v.length > 0;
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
  ROOT_URLCONF: { check: Array.isArray, expected: 'an array of path()/include() entries' },
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
  SECURE_CONTENT_TYPE_NOSNIFF: { default: true, check: isBoolean, expected: 'a boolean' },
  SECURE_HSTS_SECONDS: { default: 0, check: isNonNegativeInteger, expected: 'a non-negative integer' },
  SECURE_HSTS_INCLUDE_SUBDOMAINS: { default: false, check: isBoolean, expected: 'a boolean' },
  SECURE_HSTS_PRELOAD: { default: false, check: isBoolean, expected: 'a boolean' },
  SECURE_REFERRER_POLICY: { default: 'same-origin', check: isStringOrNull, expected: 'a string or null' },
  SECURE_CROSS_ORIGIN_OPENER_POLICY: {
    default: 'same-origin',
    check: isStringOrNull,
    expected: 'a string or null',
  },
  SECURE_SSL_REDIRECT: { default: false, check: isBoolean, expected: 'a boolean' },
  X_FRAME_OPTIONS: {
    default: 'DENY',
    check: (v) => v === 'DENY' || v === 'SAMEORIGIN',
    expected: "'DENY' or 'SAMEORIGIN'",
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
  // A fresh copy: the object built key by key above is left in V8's slow dictionary mode, and these
  // settings are read on every request.
  return { ...resolved } as ResolvedSettings;
}

function structuredCloneDefault(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.map((item) => typeof item).join(', ') || 'empty'})`;
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`.slice(0, 80);
}
