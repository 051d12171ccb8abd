import type { KnownSettings, Settings } from './types';

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

/** How one setting is checked, and its default when it has one. */
export interface SettingSpec<T> {
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
export const SPECS = {
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
 * How an `AUTHENTICATION_BACKENDS` entry is named in the session (Django stores the backend's dotted
 * path): its own `name` when it has one, else its class name.
 */
export function authBackendName(backend: object): string {
  const name = (backend as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : backend.constructor?.name || 'anonymous';
}
