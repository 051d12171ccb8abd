import { BadSignature } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { patchVaryHeaders } from '../http/vary';
import { MiddlewareMixin } from './mixin';
import { randomString, Signer } from '../signing';

/** A session's data: JSON-serializable values by key. */
export type SessionData = Record<string, unknown>;

/** Where sessions live (Django's session engine). The blog keeps them in SQLite. */
export interface SessionStore {
  load(key: string): Promise<SessionData | null>;
  save(key: string, data: SessionData, expiresAt: Date): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Sessions in this process's memory: the default, fine for development and tests. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, { data: string; expiresAt: number }>();

  async load(key: string): Promise<SessionData | null> {
    const entry = this.#sessions.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= Date.now()) {
      this.#sessions.delete(key);
      return null;
    }
    return JSON.parse(entry.data) as SessionData;
  }

  async save(key: string, data: SessionData, expiresAt: Date): Promise<void> {
    this.#sessions.set(key, { data: JSON.stringify(data), expiresAt: expiresAt.getTime() });
  }

  async delete(key: string): Promise<void> {
    this.#sessions.delete(key);
  }
}

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

  constructor(sessionKey: string | null, data: SessionData = {}) {
    this.sessionKey = sessionKey;
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

  /** A copy of the data, for the store (a plain object; spreading keeps a `__proto__` key as a key). */
  toJSON(): SessionData {
    return { ...this.#data };
  }
}

function emptyData(): SessionData {
  return Object.create(null) as SessionData;
}

declare module '../settings' {
  interface Settings {
    /** Where `SessionMiddleware` keeps sessions (default: in memory). */
    SESSION_STORE?: SessionStore;
  }
}

declare module '../http/request' {
  interface HttpRequest {
    /** Set by `SessionMiddleware`. */
    session: Session;
  }
}

const SESSION_SALT = 'manouche.sessions';
const defaultStores = new WeakMap<object, SessionStore>();

/**
 * Django's `SessionMiddleware`: loads `request.session` from the store named by the `sessionid`
 * cookie (the key signed with `SECRET_KEY`), saves it when it changed and sets the cookie. A tampered
 * or unknown cookie gives an empty session. Settings (read per request): `SESSION_STORE` (default:
 * memory), `SESSION_COOKIE_NAME`, `SESSION_COOKIE_AGE`, `SESSION_COOKIE_SECURE`,
 * `SESSION_COOKIE_HTTPONLY`, `SESSION_COOKIE_SAMESITE`, `SESSION_COOKIE_PATH`,
 * `SESSION_SAVE_EVERY_REQUEST`.
 */
export class SessionMiddleware extends MiddlewareMixin {
  override async processRequest(request: HttpRequest): Promise<null> {
    const settings = request.app!.settings;
    const signed = request.COOKIES[settings.SESSION_COOKIE_NAME];
    let session = new Session(null);
    if (signed !== undefined) {
      const key = unsignKey(signed, settings.SECRET_KEY, settings.SESSION_COOKIE_AGE);
      const data = key === null ? null : await storeOf(request).load(key);
      if (data !== null) session = new Session(key, data);
    }
    request.session = session;
    return null;
  }

  override async processResponse(request: HttpRequest, response: HttpResponse): Promise<HttpResponse> {
    const session = (request as Partial<Pick<HttpRequest, 'session'>>).session;
    if (session === undefined) return response;
    const settings = request.app!.settings;
    const store = storeOf(request);
    if (session.replacedKey !== null) await store.delete(session.replacedKey);
    const cookieOptions = {
      path: settings.SESSION_COOKIE_PATH,
      domain: settings.SESSION_COOKIE_DOMAIN ?? undefined,
      secure: settings.SESSION_COOKIE_SECURE,
      httpOnly: settings.SESSION_COOKIE_HTTPONLY,
      sameSite: settings.SESSION_COOKIE_SAMESITE,
    };
    if (session.isEmpty) {
      // An empty session with a cookie (emptied now, or a cookie for a session the store no longer
      // has): forget the cookie, and say the response depended on it, as Django does.
      if (request.COOKIES[settings.SESSION_COOKIE_NAME] !== undefined) {
        if (session.sessionKey !== null) await store.delete(session.sessionKey);
        response.deleteCookie(settings.SESSION_COOKIE_NAME, {
          path: cookieOptions.path,
          domain: cookieOptions.domain,
          sameSite: cookieOptions.sameSite,
        });
        patchVaryHeaders(response, ['Cookie']);
      } else if (session.accessed) {
        patchVaryHeaders(response, ['Cookie']);
      }
      return response;
    }
    if (session.accessed) patchVaryHeaders(response, ['Cookie']);
    if (!session.modified && !settings.SESSION_SAVE_EVERY_REQUEST) return response;
    if (response.statusCode >= 500) return response; // Django doesn't save on a server error
    session.sessionKey ??= randomString(32);
    const maxAge = settings.SESSION_COOKIE_AGE;
    await store.save(session.sessionKey, session.toJSON(), new Date(Date.now() + maxAge * 1000));
    const signer = new Signer(settings.SECRET_KEY, SESSION_SALT);
    response.setCookie(settings.SESSION_COOKIE_NAME, signer.sign(session.sessionKey), {
      ...cookieOptions,
      maxAge,
    });
    return response;
  }
}

function unsignKey(signed: string, secret: string | undefined, maxAge: number): string | null {
  try {
    return new Signer(secret, SESSION_SALT).unsign(signed, maxAge);
  } catch (error) {
    if (error instanceof BadSignature) return null;
    throw error;
  }
}

function storeOf(request: HttpRequest): SessionStore {
  const app = request.app!;
  const configured = app.settings.SESSION_STORE as SessionStore | undefined;
  if (configured) return configured;
  let store = defaultStores.get(app);
  if (store === undefined) {
    store = new MemorySessionStore();
    defaultStores.set(app, store);
  }
  return store;
}
