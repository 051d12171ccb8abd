import type { HttpRequest } from '../http/request';
import { wraps, type ViewLike } from '../views/wraps';
import { nextForLogin, redirectToLogin, resolveSettingUrl, type LoginRedirectOptions } from './redirects';
import type { RequestUser } from './users';

/** A view decorator that keeps the view's type and what other decorators recorded on it. */
export type ViewDecorator = <V extends ViewLike>(view: V) => V;

type CallableView = (request: HttpRequest, params: unknown) => unknown;

/**
 * Django's `@user_passes_test`: the view runs when `test(request.user)` is true; otherwise a 302 to
 * the login page with `?next=` (see {@link redirectToLogin}). Built with `wraps()`, so it stacks with
 * other decorators and a WebSocket view stays one (an anonymous handshake then gets the 302, not 101).
 */
export function userPassesTest(
  test: (user: RequestUser) => boolean,
  options: LoginRedirectOptions = {},
): ViewDecorator {
  return <V extends ViewLike>(view: V): V =>
    wraps(view)(((request: HttpRequest, params: unknown) => {
      if (test(request.user)) return (view as unknown as CallableView)(request, params);
      const loginUrl = resolveSettingUrl(
        request,
        options.loginUrl ?? request.app?.settings.LOGIN_URL ?? '/accounts/login/',
      );
      return redirectToLogin(request, nextForLogin(request, loginUrl), { ...options, loginUrl });
    }) as unknown as V);
}

const isAuthenticated = (user: RequestUser): boolean => user.isAuthenticated;

/**
 * Django's `@login_required`: anonymous users are sent to `LOGIN_URL` (default `/accounts/login/`)
 * with `?next=<this page>`. `loginRequired(view)`, or with options
 * `loginRequired({ loginUrl: 'login', redirectFieldName: 'then' })(view)`.
 */
export function loginRequired<V extends ViewLike>(view: V): V;
export function loginRequired(options: LoginRedirectOptions): ViewDecorator;
export function loginRequired<V extends ViewLike>(
  viewOrOptions: V | LoginRedirectOptions,
): V | ViewDecorator {
  if (typeof viewOrOptions === 'function') return userPassesTest(isAuthenticated)(viewOrOptions);
  return userPassesTest(isAuthenticated, viewOrOptions);
}
