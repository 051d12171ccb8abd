/** A session's data: JSON-serializable values by key. */
export type SessionData = Record<string, unknown>;

/** Where `setExpiry()` keeps its value in the session: Django's key. */
export const SESSION_EXPIRY_KEY = '_session_expiry';

/** The settings a session's expiry falls back on: `SESSION_COOKIE_AGE`, `SESSION_EXPIRE_AT_BROWSER_CLOSE`. */
export interface SessionExpiryPolicy {
  readonly cookieAge: number;
  readonly expireAtBrowserClose: boolean;
}

const DEFAULT_POLICY: SessionExpiryPolicy = { cookieAge: 1_209_600, expireAtBrowserClose: false };

/**
 * `request.session`: a dictionary persisted between requests. Changes are saved by
 * `SessionMiddleware` when the response goes out. Any string is a key, `__proto__` and `constructor`
 * included: the data lives in an object without a prototype, so `get('constructor')` of a session that
 * never stored it is the fallback, and `set('__proto__', value)` stores a value rather than replacing
 * what every other key is looked up in.
 */
export class Session {
  /** The key in the store; `null` until the session is first saved. */
  sessionKey: string | null;
  /** True when the data changed during this request. */
  modified = false;
  /** True when the data was read during this request (adds `Vary: Cookie`). */
  accessed = false;
  #data: SessionData;
  #flushedKey: string | null = null;
  readonly #policy: SessionExpiryPolicy;

  constructor(
    sessionKey: string | null,
    data: SessionData = {},
    policy: SessionExpiryPolicy = DEFAULT_POLICY,
  ) {
    this.sessionKey = sessionKey;
    this.#policy = policy;
    // Object.assign defines keys on a prototype-less target, `__proto__` from a stored JSON included.
    this.#data = Object.assign(emptyData(), data);
  }

  get<T = unknown>(key: string, fallback?: T): T | undefined {
    this.accessed = true;
    return (key in this.#data ? this.#data[key] : fallback) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.accessed = true;
    this.modified = true;
    this.#data[key] = value;
  }

  has(key: string): boolean {
    this.accessed = true;
    return key in this.#data;
  }

  delete(key: string): boolean {
    this.accessed = true;
    if (!(key in this.#data)) return false;
    delete this.#data[key];
    this.modified = true;
    return true;
  }

  keys(): string[] {
    this.accessed = true;
    return Object.keys(this.#data);
  }

  get isEmpty(): boolean {
    return Object.keys(this.#data).length === 0;
  }

  /** Empties the session and forgets its key (Django's `flush()`, used at logout). */
  flush(): void {
    this.accessed = true;
    this.#flushedKey ??= this.sessionKey;
    this.#data = emptyData();
    this.sessionKey = null;
    this.modified = true;
  }

  /** Keeps the data under a new key (Django's `cycle_key()`, used at login against fixation). */
  cycleKey(): void {
    this.accessed = true;
    this.#flushedKey ??= this.sessionKey;
    this.sessionKey = null;
    this.modified = true;
  }

  /** The key the session had before `flush()`/`cycleKey()`, which the store should forget. */
  get replacedKey(): string | null {
    return this.#flushedKey;
  }

  /**
   * Django's `set_expiry()`: a number of seconds of inactivity (`0`: when the browser closes), a
   * `Date`, or `null` for the settings' policy (`SESSION_COOKIE_AGE`,
   * `SESSION_EXPIRE_AT_BROWSER_CLOSE`). Kept in the session under `_session_expiry`, as in Django.
   */
  setExpiry(value: number | Date | null): void {
    if (value === null) {
      this.delete(SESSION_EXPIRY_KEY);
      return;
    }
    if (value instanceof Date) this.set(SESSION_EXPIRY_KEY, value.toISOString());
    else if (Number.isInteger(value) && value >= 0) this.set(SESSION_EXPIRY_KEY, value);
    else
      throw new TypeError(
        `setExpiry() takes whole seconds (0 or more), a Date or null; got ${String(value)}`,
      );
  }

  /**
   * Django's `get_expiry_age()`: seconds until the session expires (`SESSION_COOKIE_AGE` unless
   * `setExpiry()` chose otherwise; for a session that ends with the browser, `SESSION_COOKIE_AGE` too).
   */
  getExpiryAge(): number {
    const expiry = this.#expiry();
    if (typeof expiry === 'number' && expiry > 0) return expiry;
    if (expiry instanceof Date) return Math.floor((expiry.getTime() - Date.now()) / 1000);
    return this.#policy.cookieAge;
  }

  /** Django's `get_expiry_date()`: when the session expires (see {@link Session.getExpiryAge}). */
  getExpiryDate(): Date {
    const expiry = this.#expiry();
    if (expiry instanceof Date) return expiry;
    return new Date(Date.now() + this.getExpiryAge() * 1000);
  }

  /**
   * Django's `get_expire_at_browser_close()`: whether the cookie lasts only until the browser closes:
   * `setExpiry(0)`, or no `setExpiry()` and `SESSION_EXPIRE_AT_BROWSER_CLOSE`.
   */
  getExpireAtBrowserClose(): boolean {
    const expiry = this.#expiry();
    return expiry === null ? this.#policy.expireAtBrowserClose : expiry === 0;
  }

  #expiry(): number | Date | null {
    this.accessed = true;
    const stored = this.#data[SESSION_EXPIRY_KEY];
    if (typeof stored === 'number') return stored;
    if (typeof stored === 'string') {
      const date = new Date(stored);
      if (!Number.isNaN(date.getTime())) return date;
    }
    return null;
  }

  /** A copy of the data, for the store (a plain object; spreading keeps a `__proto__` key as a key). */
  toJSON(): SessionData {
    return { ...this.#data };
  }
}

function emptyData(): SessionData {
  return Object.create(null) as SessionData;
}
