import { BadSignature } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { patchVaryHeaders } from '../http/vary';
import { isPromiseLike, runSteps, type MaybePromise, type Steps } from '../handler/sync';
import { MiddlewareMixin } from './mixin';
import { randomString, Signer } from '../signing';
import { escapeForLog } from '../log';
import { loggerOf } from './access-log';

import { Session, type SessionData } from './sessions-session';

export { Session, type SessionData, type SessionExpiryPolicy, SESSION_EXPIRY_KEY } from './sessions-session';

/**
 * Where sessions live (Django's session engine). The blog keeps them in SQLite. `load` must give
 * `null` for a session past the `expiresAt` it was saved with: the store, not the cookie, decides
 * when a session ends (as Django's database backend does).
 *
 * Each method may answer at once or with a promise. A store that answers at once (memory, signed
 * cookies, a synchronous SQLite driver) keeps the request on the handler's same-tick path; one
 * that answers later (a network database) makes the request wait for it, as in Django.
 */
export interface SessionStore {
  load(key: string): MaybePromise<SessionData | null>;
  save(key: string, data: SessionData, expiresAt: Date): MaybePromise<void>;
  delete(key: string): MaybePromise<void>;
  /**
   * For a store that keeps the data in the key itself (the signed-cookie store): the key for `data`,
   * made anew on every save. Without it the middleware draws a random key once per session.
   */
  keyFor?(data: SessionData, expiresAt: Date): string;
}

/** Sessions in this process's memory: the default, fine for development and tests. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, { data: string; expiresAt: number }>();

  load(key: string): SessionData | null {
    const entry = this.#sessions.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= Date.now()) {
      this.#sessions.delete(key);
      return null;
    }
    return JSON.parse(entry.data) as SessionData;
  }

  save(key: string, data: SessionData, expiresAt: Date): void {
    this.#sessions.set(key, { data: JSON.stringify(data), expiresAt: expiresAt.getTime() });
  }

  delete(key: string): void {
    this.#sessions.delete(key);
  }
}

declare module '../settings' {
  interface Settings {
    /** Where `SessionMiddleware` keeps sessions (default: in memory). */
    SESSION_STORE?: SessionStore;
    /** Sessions end when the browser closes (cookies without `Max-Age`), unless `setExpiry()` says otherwise. */
    SESSION_EXPIRE_AT_BROWSER_CLOSE?: boolean;
  }
}

declare module '../http/request' {
  interface HttpRequest {
    /** Set by `SessionMiddleware`. */
    session: Session;
  }
}

const SESSION_SALT = 'manouche.sessions';
/** Browsers drop a cookie larger than this (name, value and attributes), RFC 6265's minimum to keep. */
const MAX_COOKIE_BYTES = 4096;
const defaultStores = new WeakMap<object, SessionStore>();

/**
 * Django's `SessionMiddleware`: loads `request.session` from the store named by the `sessionid`
 * cookie (the key signed with `SECRET_KEY`), saves it when it changed and sets the cookie. A tampered
 * or unknown cookie gives an empty session. Settings (read per request): `SESSION_STORE` (default:
 * memory), `SESSION_COOKIE_NAME`, `SESSION_COOKIE_AGE`, `SESSION_COOKIE_SECURE`,
 * `SESSION_COOKIE_HTTPONLY`, `SESSION_COOKIE_SAMESITE`, `SESSION_COOKIE_PATH`,
 * `SESSION_SAVE_EVERY_REQUEST`, `SESSION_EXPIRE_AT_BROWSER_CLOSE`. The cookie's `Max-Age` follows
 * `session.setExpiry()` as Django's does.
 */
export class SessionMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): MaybePromise<null> {
    const settings = request.app!.settings;
    const signed = request.COOKIES[settings.SESSION_COOKIE_NAME];
    const policy = {
      cookieAge: settings.SESSION_COOKIE_AGE,
      expireAtBrowserClose: settings.SESSION_EXPIRE_AT_BROWSER_CLOSE,
    };
    // No age limit on the signature: setExpiry() may outlast SESSION_COOKIE_AGE; the store expires.
    const key = signed === undefined ? null : unsignKey(signed, settings.SECRET_KEY);
    if (key === null) {
      request.session = new Session(null, {}, policy);
      return null;
    }
    const loaded = storeOf(request).load(key);
    if (isPromiseLike(loaded)) {
      return loaded.then((data) => {
        request.session = data === null ? new Session(null, {}, policy) : new Session(key, data, policy);
        return null;
      });
    }
    request.session = loaded === null ? new Session(null, {}, policy) : new Session(key, loaded, policy);
    return null;
  }

  override processResponse(request: HttpRequest, response: HttpResponse): MaybePromise<HttpResponse> {
    const session = (request as Partial<Pick<HttpRequest, 'session'>>).session;
    if (session === undefined) return response;
    return runSteps(saveSteps(request, response, session));
  }
}

/**
 * What `processResponse` does with the session, as steps: synchronous while the store answers at
 * once, waiting for it where it answers later.
 */
function* saveSteps(request: HttpRequest, response: HttpResponse, session: Session): Steps<HttpResponse> {
  const settings = request.app!.settings;
  const store = storeOf(request);
  if (session.replacedKey !== null) yield store.delete(session.replacedKey);
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
      if (session.sessionKey !== null) yield store.delete(session.sessionKey);
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
  const data = session.toJSON();
  const expiresAt = session.getExpiryDate();
  session.sessionKey = store.keyFor
    ? store.keyFor(data, expiresAt)
    : (session.sessionKey ?? randomString(32));
  yield store.save(session.sessionKey, data, expiresAt);
  const value = sessionSigner(settings.SECRET_KEY).sign(session.sessionKey);
  if (value.length + settings.SESSION_COOKIE_NAME.length > MAX_COOKIE_BYTES)
    loggerOf(request).warn(
      `The session cookie of ${escapeForLog(request.path)} is ${value.length} bytes: browsers drop cookies over ${MAX_COOKIE_BYTES} bytes`,
    );
  // A session that ends with the browser gets a cookie without Max-Age/Expires, as in Django.
  const maxAge = session.getExpireAtBrowserClose() ? undefined : session.getExpiryAge();
  response.setCookie(settings.SESSION_COOKIE_NAME, value, { ...cookieOptions, maxAge });
  return response;
}

// The session cookie is unsigned on every request: one Signer per secret, not one per request (a
// Signer looks its key up by the secret and salt joined, a long string to hash each time).
let lastSigner: { readonly secret: string | undefined; readonly signer: Signer } | null = null;

function sessionSigner(secret: string | undefined): Signer {
  if (lastSigner === null || lastSigner.secret !== secret)
    lastSigner = { secret, signer: new Signer(secret, SESSION_SALT) };
  return lastSigner.signer;
}

function unsignKey(signed: string, secret: string | undefined): string | null {
  try {
    return sessionSigner(secret).unsign(signed);
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
