import { ImproperlyConfigured } from '../exceptions';
import { isPromiseLike, type MaybePromise } from '../handler/sync';
import { HttpRequest } from '../http/request';
import { MiddlewareMixin } from '../middleware/mixin';
import type { Session } from '../middleware/sessions';
import { backendNamed } from './backends';
import { BACKEND_SESSION_KEY, peek, SESSION_KEY, sessionHashMatches, sessionOf } from './session';
import { ANONYMOUS_USER, type AuthUser, type RequestUser } from './users';

declare module '../http/request' {
  interface HttpRequest {
    /**
     * The logged-in user, or the `AnonymousUser` (set by `AuthenticationMiddleware`, or by you).
     * Reading it counts as using the session, so the response gets `Vary: Cookie`, as in Django.
     * Declare your user's own fields on `AuthUser`.
     */
    user: RequestUser;
  }
}

// The user is kept under a symbol on the request, read through one accessor defined once on the
// prototype, so that reading `user` can mark the session used the way Django's lazy user does.
const USER = Symbol('manouche.user');
type WithUser = HttpRequest & { [USER]?: RequestUser };

Object.defineProperty(HttpRequest.prototype, 'user', {
  configurable: true,
  get(this: WithUser): RequestUser {
    const user = this[USER];
    if (user === undefined) {
      throw new ImproperlyConfigured(
        'request.user is set by AuthenticationMiddleware: list it after SessionMiddleware in MIDDLEWARE (or MIDDLEWARE_CLASSES), or assign request.user yourself',
      );
    }
    const session = (this as Partial<Pick<HttpRequest, 'session'>>).session;
    if (session !== undefined) session.accessed = true;
    return user;
  },
  set(this: WithUser, user: RequestUser): void {
    this[USER] = user;
  },
});

/**
 * Django's `AuthenticationMiddleware`: `request.user` is the user the session names (through the
 * backend that logged it in) or the `AnonymousUser`. Needs `SessionMiddleware` before it: without it,
 * every request is a 500 (`ImproperlyConfigured`), and `manouche check` reports `manouche.E006`.
 *
 * The user is looked up once per request, before the view, and only when the session names one;
 * an async `getUser()` is awaited then. A session whose user or backend is gone, or whose
 * `getSessionAuthHash()` changed, gives the anonymous user (the latter also flushes the session).
 */
export class AuthenticationMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): MaybePromise<null> {
    const session = sessionOf(request, 'AuthenticationMiddleware');
    request.user = ANONYMOUS_USER;
    if (session.isEmpty) return null;
    const pk = peek(session, SESSION_KEY);
    const backendName = peek(session, BACKEND_SESSION_KEY);
    if ((typeof pk !== 'string' && typeof pk !== 'number') || typeof backendName !== 'string') return null;
    const backend = backendNamed(request, backendName);
    if (backend === undefined) return null;
    const found = backend.getUser(pk);
    if (!isPromiseLike(found)) return settle(request, session, found);
    return Promise.resolve(found).then((user) => settle(request, session, user));
  }
}

function settle(request: HttpRequest, session: Session, user: AuthUser | null): null {
  if (user === null || user === undefined) return null;
  if (!sessionHashMatches(session, user)) {
    session.flush();
    return null;
  }
  request.user = user;
  return null;
}
