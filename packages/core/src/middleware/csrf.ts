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

const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 2 * SECRET_LENGTH;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const EXEMPT = Symbol.for('manouche.csrfExempt');

/** Per-request CSRF state, kept off the public request object. */
interface CsrfState {
  secret: string | null;
  cookieNeedsUpdate: boolean;
}
const states = new WeakMap<HttpRequest, CsrfState>();

/** The reasons Django gives, so a log line reads the same. */
export const CsrfReason = {
  BAD_ORIGIN: 'Origin checking failed - %s does not match any trusted origins.',
  NO_COOKIE: 'CSRF cookie not set.',
  BAD_TOKEN: 'CSRF token incorrect.',
  NO_TOKEN: 'CSRF token missing.',
} as const;

/**
 * Django's `CsrfViewMiddleware`: a POST (or any unsafe method) must carry the token from
 * {@link getToken} in the `csrfmiddlewaretoken` form field or the `X-CSRFToken` header, matching the
 * secret in the `csrftoken` cookie, and its `Origin` (when sent) must be this site or one of
 * `CSRF_TRUSTED_ORIGINS`. Otherwise 403. Tokens are masked per response (BREACH), as in Django.
 */
export class CsrfViewMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    const cookie = request.COOKIES[request.app!.settings.CSRF_COOKIE_NAME];
    const secret = cookie !== undefined && isWellFormed(cookie, SECRET_LENGTH) ? cookie : null;
    states.set(request, { secret, cookieNeedsUpdate: false });
    return null;
  }

  override processView(request: HttpRequest, view: View): HttpResponse | null {
    if ((view as { [EXEMPT]?: boolean })[EXEMPT] === true) return null;
    if (SAFE_METHODS.has(request.method)) return null;
    const settings = request.app!.settings;
    const origin = request.headers.get('origin');
    if (origin !== null && !isTrustedOrigin(request, origin, settings.CSRF_TRUSTED_ORIGINS)) {
      return reject(request, CsrfReason.BAD_ORIGIN.replace('%s', origin));
    }
    const secret = stateOf(request).secret;
    if (secret === null) return reject(request, CsrfReason.NO_COOKIE);
    const token = submittedToken(request);
    if (token === null || token === '') return reject(request, CsrfReason.NO_TOKEN);
    if (!isWellFormed(token, TOKEN_LENGTH) && !isWellFormed(token, SECRET_LENGTH))
      return reject(request, CsrfReason.BAD_TOKEN);
    const unmasked = token.length === TOKEN_LENGTH ? unmask(token) : token;
    if (!constantTimeEqual(unmasked, secret)) return reject(request, CsrfReason.BAD_TOKEN);
    return null;
  }

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    const state = states.get(request);
    if (state === undefined || !state.cookieNeedsUpdate || state.secret === null) return response;
    const settings = request.app!.settings;
    response.setCookie(settings.CSRF_COOKIE_NAME, state.secret, {
      maxAge: settings.CSRF_COOKIE_AGE,
      path: settings.CSRF_COOKIE_PATH,
      secure: settings.CSRF_COOKIE_SECURE,
      httpOnly: settings.CSRF_COOKIE_HTTPONLY,
      sameSite: settings.CSRF_COOKIE_SAMESITE,
    });
    patchVaryHeaders(response, ['Cookie']);
    state.cookieNeedsUpdate = false;
    return response;
  }
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
  const state = states.get(request);
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
  const state = states.get(request);
  if (state === undefined)
    throw new ImproperlyConfigured('getToken() needs CsrfViewMiddleware in MIDDLEWARE or MIDDLEWARE_CLASSES');
  return state;
}

function reject(request: HttpRequest, reason: string): HttpResponse {
  loggerOf(request).warn(`Forbidden (${escapeForLog(reason)}): ${escapeForLog(request.path)}`);
  return new HttpResponseForbidden(`<h1>403 Forbidden</h1><p>CSRF verification failed. Request aborted.</p>`);
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

function isTrustedOrigin(request: HttpRequest, origin: string, trusted: readonly string[]): boolean {
  let host: string;
  try {
    host = request.getHost();
  } catch {
    return false;
  }
  const own = `${request.isSecure() ? 'https' : 'http'}://${host}`;
  const lowered = origin.toLowerCase();
  return lowered === own.toLowerCase() || trusted.some((entry) => entry.toLowerCase() === lowered);
}

// The token is a random mask followed by the secret "added" to it character-wise, so every response
// carries a different token for the same secret (Django's BREACH mitigation).
function mask(secret: string): string {
  const maskText = randomString(SECRET_LENGTH);
  let cipher = '';
  for (let index = 0; index < SECRET_LENGTH; index++) {
    cipher +=
      ALPHABET[(ALPHABET.indexOf(secret[index]!) + ALPHABET.indexOf(maskText[index]!)) % ALPHABET.length];
  }
  return maskText + cipher;
}

function unmask(token: string): string {
  const maskText = token.slice(0, SECRET_LENGTH);
  const cipher = token.slice(SECRET_LENGTH);
  let secret = '';
  for (let index = 0; index < SECRET_LENGTH; index++) {
    const value = ALPHABET.indexOf(cipher[index]!) - ALPHABET.indexOf(maskText[index]!);
    secret += ALPHABET[(value + ALPHABET.length) % ALPHABET.length];
  }
  return secret;
}

function isWellFormed(value: string, length: number): boolean {
  return value.length === length && /^[a-zA-Z0-9]+$/.test(value);
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
