import { timingSafeEqual } from 'node:crypto';
import { ImproperlyConfigured } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { Session } from '../middleware/sessions';
import type { AuthUser } from './users';

// Django's names, so a session reads the same in both.
/** The logged-in user's primary key. */
export const SESSION_KEY = '_auth_user_id';
/** The name of the backend that gives the user back. */
export const BACKEND_SESSION_KEY = '_auth_user_backend';
/** The user's `getSessionAuthHash()` at login (`''` when it has none). */
export const HASH_SESSION_KEY = '_auth_user_hash';

/** `request.session`, or `ImproperlyConfigured` naming `who` when `SessionMiddleware` did not run. */
export function sessionOf(request: HttpRequest, who: string): Session {
  const session = (request as Partial<Pick<HttpRequest, 'session'>>).session;
  if (session === undefined) {
    throw new ImproperlyConfigured(
      `${who} needs SessionMiddleware: list SessionMiddleware before AuthenticationMiddleware in MIDDLEWARE (or MIDDLEWARE_CLASSES)`,
    );
  }
  return session;
}

/**
 * Reads a session value without counting as a use of the session: Django reads the user lazily, so
 * only a response that used `request.user` gets `Vary: Cookie`.
 */
export function peek(session: Session, key: string): unknown {
  const accessed = session.accessed;
  const value = session.get(key);
  session.accessed = accessed;
  return value;
}

/** False when `user` has a session hash and the one stored at login differs (its password changed). */
export function sessionHashMatches(session: Session, user: AuthUser): boolean {
  if (typeof user.getSessionAuthHash !== 'function') return true;
  const stored = peek(session, HASH_SESSION_KEY);
  return typeof stored === 'string' && stored !== '' && constantTimeEqual(stored, user.getSessionAuthHash());
}

/** String equality whose time does not tell how much of a secret matched. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
