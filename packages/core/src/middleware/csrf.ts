import { timingSafeEqual } from 'node:crypto';
import { ImproperlyConfigured } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { HttpResponseForbidden, type HttpResponse } from '../http/response';
import { escapeForLog } from '../log';
import { loggerOf } from './access-log';
import { patchVaryHeaders } from '../http/vary';
import { MiddlewareMixin } from './mixin';
import { randomString } from '../signing';
import type { View } from '../urls/patterns';
import { wraps } from '../views/wraps';
import type { MaybePromise } from '../handler/sync';
import { CsrfReason, isTrustedOrigin, refererFailure } from './csrf-origin';
import type { Session } from './sessions';

const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 2 * SECRET_LENGTH;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const EXEMPT = Symbol.for('manouche.csrfExempt');
/** Where `CSRF_USE_SESSIONS` keeps the secret: Django's `CSRF_SESSION_KEY`. */
export const CSRF_SESSION_KEY = '_csrftoken';

/** Django's `CSRF_FAILURE_VIEW`: answers a refused request, given Django's reason. */
export type CsrfFailureView = (request: HttpRequest, reason: string) => HttpResponse | Promise<HttpResponse>;

declare module '../settings' {
  interface Settings {
    /** Called with the request and the reason for a refused request (default: a plain 403 page). */
    CSRF_FAILURE_VIEW?: CsrfFailureView | null;
  }
}

/** Per-request CSRF state, kept off the public request object. */
interface CsrfState {
  secret: string | null;
  cookieNeedsUpdate: boolean;
  /** Checked once already (the middleware, then `csrfProtect` on the view): Django's `csrf_processing_done`. */
  processingDone: boolean;
}
// The request's CSRF state, on the request itself under a key of this module's (as Django keeps it in
// request.META): a WeakMap entry per request cost more than the rest of processRequest.
const CSRF_STATE = Symbol('manouche.csrf');
type CarriesCsrfState = HttpRequest & { [CSRF_STATE]?: CsrfState };

function stateIfAny(request: HttpRequest): CsrfState | undefined {
  return (request as CarriesCsrfState)[CSRF_STATE];
}

export { CsrfReason };

/**
 * Django's `CsrfViewMiddleware`: a POST (or any unsafe method) must carry the token from
 * {@link getToken} in the `csrfmiddlewaretoken` form field or the `X-CSRFToken` header, matching the
 * secret in the `csrftoken` cookie (or the session, with `CSRF_USE_SESSIONS`). Before the token, where
 * it came from: its `Origin` (when sent) must be this site or one of `CSRF_TRUSTED_ORIGINS`; on HTTPS
 * without an `Origin`, its `Referer` must be. Otherwise 403, or what `CSRF_FAILURE_VIEW` answers.
 * Tokens are masked per response (BREACH), as in Django.
 */
export class CsrfViewMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    // Already there when csrfProtect() runs under the middleware: keep what the request has done.
    if (stateIfAny(request) !== undefined) return null;
    const stored = readSecret(request);
    const secret = stored !== undefined && isWellFormed(stored, SECRET_LENGTH) ? stored : null;
    (request as CarriesCsrfState)[CSRF_STATE] = { secret, cookieNeedsUpdate: false, processingDone: false };
    return null;
  }

  override processView(request: HttpRequest, view: View): MaybePromise<HttpResponse | null> {
    const state = stateOf(request);
    if (state.processingDone) return null;
    if ((view as { [EXEMPT]?: boolean })[EXEMPT] === true) return null;
    const reason = SAFE_METHODS.has(request.method) ? null : failureReason(request, state);
    if (reason !== null) return this.rejectRequest(request, reason);
    state.processingDone = true;
    return null;
  }

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    const state = stateIfAny(request);
    if (state === undefined || !state.cookieNeedsUpdate || state.secret === null) return response;
    const settings = request.app!.settings;
    if (settings.CSRF_USE_SESSIONS) {
      const session = sessionOf(request);
      if (session.get(CSRF_SESSION_KEY) !== state.secret) session.set(CSRF_SESSION_KEY, state.secret);
    } else {
      response.setCookie(settings.CSRF_COOKIE_NAME, state.secret, {
        maxAge: settings.CSRF_COOKIE_AGE,
        domain: settings.CSRF_COOKIE_DOMAIN ?? undefined,
        path: settings.CSRF_COOKIE_PATH,
        secure: settings.CSRF_COOKIE_SECURE,
        httpOnly: settings.CSRF_COOKIE_HTTPONLY,
        sameSite: settings.CSRF_COOKIE_SAMESITE,
      });
      patchVaryHeaders(response, ['Cookie']);
    }
    state.cookieNeedsUpdate = false;
    return response;
  }

  /**
   * Answers a refused request: one log line, then `CSRF_FAILURE_VIEW` or the plain 403 page.
   * `ensureCsrfCookie` and `requiresCsrfToken` override it to let the request through, as Django's
   * decorators do.
   */
  protected rejectRequest(request: HttpRequest, reason: string): MaybePromise<HttpResponse | null> {
    loggerOf(request).warn(`Forbidden (${escapeForLog(reason)}): ${escapeForLog(request.path)}`);
    const failureView = request.app!.settings.CSRF_FAILURE_VIEW;
    if (failureView != null) return failureView(request, reason);
    return new HttpResponseForbidden(
      `<h1>403 Forbidden</h1><p>CSRF verification failed. Request aborted.</p>`,
    );
  }
}

/** Why an unsafe request is refused (Django's order: Origin, else Referer on HTTPS, then the token), or `null`. */
function failureReason(request: HttpRequest, state: CsrfState): string | null {
  const origin = request.headers.get('origin');
  if (origin !== null) {
    if (!isTrustedOrigin(request, origin)) return CsrfReason.BAD_ORIGIN.replace('%s', origin);
  } else if (request.isSecure()) {
    const refused = refererFailure(request);
    if (refused !== null) return refused;
  }
  if (state.secret === null) return CsrfReason.NO_COOKIE;
  const token = submittedToken(request);
  if (token === null || token === '') return CsrfReason.NO_TOKEN;
  if (!isWellFormed(token, TOKEN_LENGTH) && !isWellFormed(token, SECRET_LENGTH)) return CsrfReason.BAD_TOKEN;
  const unmasked = token.length === TOKEN_LENGTH ? unmask(token) : token;
  return constantTimeEqual(unmasked, state.secret) ? null : CsrfReason.BAD_TOKEN;
}

/** The secret the client holds: its cookie, or its session with `CSRF_USE_SESSIONS`. */
function readSecret(request: HttpRequest): string | undefined {
  const settings = request.app!.settings;
  if (!settings.CSRF_USE_SESSIONS) return request.COOKIES[settings.CSRF_COOKIE_NAME];
  const stored = sessionOf(request).get(CSRF_SESSION_KEY);
  return typeof stored === 'string' ? stored : undefined;
}

function sessionOf(request: HttpRequest): Session {
  const session = (request as Partial<Pick<HttpRequest, 'session'>>).session;
  if (session === undefined)
    throw new ImproperlyConfigured(
      'CSRF_USE_SESSIONS is enabled, but request.session is not set: SessionMiddleware must come before CsrfViewMiddleware',
    );
  return session;
}

/**
 * The token to put in a form (`<input type="hidden" name="csrfmiddlewaretoken" value="...">`) or an
 * `X-CSRFToken` header. Creates the secret (and sets the cookie on the response) when the client has
 * none. Needs `CsrfViewMiddleware`: without it, throws `ImproperlyConfigured`.
 */
export function getToken(request: HttpRequest): string {
  const state = stateOf(request);
  if (state.secret === null) state.secret = randomString(SECRET_LENGTH);
  state.cookieNeedsUpdate = true;
  return mask(state.secret);
}

/**
 * Django's `rotate_token()`: gives the client a new CSRF secret (sent as the `csrftoken` cookie with
 * this response), so a token seen before is useless after. `login()` calls it. Tokens from
 * {@link getToken} later in the same request use the new secret. Does nothing without
 * `CsrfViewMiddleware`, as in Django.
 */
export function rotateToken(request: HttpRequest): void {
  const state = stateIfAny(request);
  if (state === undefined) return;
  state.secret = randomString(SECRET_LENGTH);
  state.cookieNeedsUpdate = true;
}

/** Marks a view as exempt from the CSRF check (Django's `@csrf_exempt`). */
export function csrfExempt<V extends View>(view: V): V {
  const exempt = wraps(view)(((request, params) => view(request, params)) as V);
  Object.assign(exempt, { [EXEMPT]: true });
  return exempt;
}

function stateOf(request: HttpRequest): CsrfState {
  const state = stateIfAny(request);
  if (state === undefined)
    throw new ImproperlyConfigured('getToken() needs CsrfViewMiddleware in MIDDLEWARE or MIDDLEWARE_CLASSES');
  return state;
}

function submittedToken(request: HttpRequest): string | null {
  const header = request.headers.get(request.app!.settings.CSRF_HEADER_NAME);
  if (header !== null) return header.trim();
  if (request.method === 'POST') {
    try {
      return request.POST.get('csrfmiddlewaretoken');
    } catch {
      return null; // a malformed body can't carry a token; the view will see the BadRequest
    }
  }
  return null;
}

// The token is a random mask followed by the secret "added" to it character-wise, so every response
// carries a different token for the same secret (Django's BREACH mitigation).
function mask(secret: string): string {
  const maskText = randomString(SECRET_LENGTH);
  const cipher = new Array<string>(SECRET_LENGTH);
  for (let index = 0; index < SECRET_LENGTH; index++) {
    const sum = alphabetIndex(secret, index) + alphabetIndex(maskText, index);
    cipher[index] = ALPHABET[sum % ALPHABET.length]!;
  }
  return maskText + cipher.join('');
}

// Every CSRF-checked request unmasks a token: the alphabet's positions by character code, rather than
// an indexOf per character.
const ALPHABET_INDEX: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let index = 0; index < ALPHABET.length; index++) table[ALPHABET.charCodeAt(index)] = index;
  return table;
})();

/** The position in ALPHABET of `text[index]`, or -1 (as indexOf answers) for another character. */
function alphabetIndex(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? ALPHABET_INDEX[code]! : -1;
}

function unmask(token: string): string {
  const secret = new Array<string>(SECRET_LENGTH);
  for (let index = 0; index < SECRET_LENGTH; index++) {
    const value = alphabetIndex(token, SECRET_LENGTH + index) - alphabetIndex(token, index);
    secret[index] = ALPHABET[(value + ALPHABET.length) % ALPHABET.length]!;
  }
  return secret.join('');
}

function isWellFormed(value: string, length: number): boolean {
  return value.length === length && /^[a-zA-Z0-9]+$/.test(value);
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
