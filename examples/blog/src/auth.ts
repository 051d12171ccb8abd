import {
  HttpResponseRedirect,
  MiddlewareMixin,
  wraps,
  type HttpRequest,
  type HttpResponse,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { blogOf } from './blog';
import type { User } from './models';

// `request.user`, typed: core merges `RequestState` into every `HttpRequest` (declaring `HttpRequest`
// itself here would only shadow the class re-exported by the package's entry module).
declare module '@manouche/core' {
  interface RequestState {
    /** Set by `AuthMiddleware`: the logged-in user, or `null`. */
    user: User | null;
  }
}

const SESSION_KEY = '_auth_user_id';

/**
 * Django's `AuthenticationMiddleware`, in small: `request.user` from the session (needs
 * `SessionMiddleware` before it). A `MiddlewareMixin`, so it works in both middleware lists.
 */
export class AuthMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    const id = request.session.get<unknown>(SESSION_KEY);
    request.user = typeof id === 'number' ? blogOf(request.app).models.getUser(id) : null;
    return null;
  }
}

/** Django's `login()`: a new session key (against fixation) that remembers the user. */
export function login(request: HttpRequest, user: User): void {
  request.session.cycleKey();
  request.session.set(SESSION_KEY, user.id);
  request.user = user;
}

/** Django's `logout()`: the session is emptied and its cookie dropped. */
export function logout(request: HttpRequest): void {
  request.session.flush();
  request.user = null;
}

/**
 * Django's `@login_required`: anonymous users go to `/login/?next=<this path>`. Built with `wraps`, so
 * it keeps what other decorators said about the view (a WebSocket view stays one).
 */
export function loginRequired<P extends ViewParams>(
  view: (request: HttpRequest, params: P) => HttpResponse | Promise<HttpResponse>,
): ViewFunction<P> {
  return wraps(view)((request: HttpRequest, params: P) => {
    if (request.user === null || request.user === undefined) {
      return new HttpResponseRedirect(`/login/?next=${encodeURIComponent(request.getFullPath())}`);
    }
    return view(request, params);
  });
}

/** A `next` target we may redirect to: a path on this site (not `//evil.example` or `javascript:`). */
export function safeNext(next: string | null | undefined, fallback = '/'): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith('/') ||
    next.startsWith('//') ||
    next.includes('\\') ||
    hasControlCharacter(next)
  ) {
    return fallback;
  }
  return next;
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
