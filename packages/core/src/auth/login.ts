import type { HttpRequest } from '../http/request';
import { rotateToken } from '../middleware/csrf';
import { backendForLogin, type AuthBackend } from './backends';
import { BACKEND_SESSION_KEY, constantTimeEqual, HASH_SESSION_KEY, SESSION_KEY, sessionOf } from './session';
import { authBackendName } from '../settings';
import { ANONYMOUS_USER, type AuthUser } from './users';

/**
 * Django's `login()`: remembers `user` in the session and sets `request.user`. Against session
 * fixation the session gets a new key (`cycleKey()`), or is emptied first (`flush()`) when it belonged
 * to another user; a session already logged in as this same user keeps its key, as in Django. The CSRF
 * token is rotated too (`rotateToken`).
 *
 * The session records the backend: `backend` when given, else the one that authenticated `user`
 * through `authenticate()`, else the only one in `AUTHENTICATION_BACKENDS`; otherwise
 * `ImproperlyConfigured`.
 */
export function login(request: HttpRequest, user: AuthUser, backend?: AuthBackend): void {
  const session = sessionOf(request, 'login()');
  const chosen = backendForLogin(request, user, backend);
  const hash = user.getSessionAuthHash?.() ?? '';
  if (session.has(SESSION_KEY)) {
    const storedHash = session.get(HASH_SESSION_KEY);
    const sameUser = session.get(SESSION_KEY) === user.pk;
    const sameHash = hash === '' || (typeof storedHash === 'string' && constantTimeEqual(storedHash, hash));
    // Someone else's session (or one from before a password change): nothing of it may carry over.
    if (!sameUser || !sameHash) session.flush();
  } else {
    session.cycleKey();
  }
  session.set(SESSION_KEY, user.pk);
  session.set(BACKEND_SESSION_KEY, authBackendName(chosen));
  session.set(HASH_SESSION_KEY, hash);
  request.user = user;
  rotateToken(request);
}

/** Django's `logout()`: empties the session (its cookie is dropped) and sets the anonymous user. */
export function logout(request: HttpRequest): void {
  sessionOf(request, 'logout()').flush();
  request.user = ANONYMOUS_USER;
}

/**
 * Django's `update_session_auth_hash()`: after `user` changed their own password, keeps this session
 * logged in (a new key, the new hash) while the others end at their next request.
 */
export function updateSessionAuthHash(request: HttpRequest, user: AuthUser): void {
  const session = sessionOf(request, 'updateSessionAuthHash()');
  session.cycleKey();
  if (typeof user.getSessionAuthHash === 'function' && session.get(SESSION_KEY) === user.pk) {
    session.set(HASH_SESSION_KEY, user.getSessionAuthHash());
  }
}
