import type { MaybePromise } from '../handler/sync';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { View } from '../urls/patterns';
import { CsrfViewMiddleware, getToken } from './csrf';
import { decoratorFromMiddleware } from './decorator-from-middleware';

// Django's django.views.decorators.csrf: the CSRF middleware applied to one view.

/**
 * Django's `@csrf_protect`: the CSRF check on this view, whether or not `CsrfViewMiddleware` is in
 * the stack (a request the middleware already accepted is not checked twice).
 */
export const csrfProtect: <V extends View>(view: V) => V = decoratorFromMiddleware(CsrfViewMiddleware);

/** Lets the request through whatever the check says, as Django's `_EnsureCsrfToken`. */
class CsrfTokenOnly extends CsrfViewMiddleware {
  protected override rejectRequest(): null {
    return null;
  }
}

/** Sets the CSRF cookie on every response of the view, as Django's `_EnsureCsrfCookie`. */
class CsrfCookieSetter extends CsrfTokenOnly {
  override processView(request: HttpRequest, view: View): MaybePromise<HttpResponse | null> {
    const answer = super.processView(request, view);
    // Forces the cookie out, for pages whose forms are built by scripts that never call getToken().
    getToken(request);
    return answer;
  }
}

/**
 * Django's `@requires_csrf_token`: `getToken()` works in this view (say, a custom 403 page) without
 * `CsrfViewMiddleware`, and nothing is refused.
 */
export const requiresCsrfToken: <V extends View>(view: V) => V = decoratorFromMiddleware(CsrfTokenOnly);

/**
 * Django's `@ensure_csrf_cookie`: the response always sets the `csrftoken` cookie, even when the page
 * never asked for a token (a page whose form is posted by a script). Refuses nothing.
 */
export const ensureCsrfCookie: <V extends View>(view: V) => V = decoratorFromMiddleware(CsrfCookieSetter);
