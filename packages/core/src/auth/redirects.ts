import { NoReverseMatch } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { HttpResponseRedirect } from '../http/response';
import { splitUrl, urlHasAllowedHostAndScheme } from '../http/safe-url';
import { UrlResolver } from '../urls/resolver';

/** Django's `REDIRECT_FIELD_NAME`: the query parameter (and form field) that carries where to go next. */
export const REDIRECT_FIELD_NAME = 'next';

/** Where the login page is and how it is told where to go next (Django's `login_required` arguments). */
export interface LoginRedirectOptions {
  /** The login page, a path or a URL name (default: `LOGIN_URL`). */
  loginUrl?: string;
  /** The query parameter that carries the page to come back to (default `next`); `null`: none. */
  redirectFieldName?: string | null;
}

/**
 * Django's `resolve_url()` for settings such as `LOGIN_URL`, against the request's own application
 * (the public `resolveUrl()` shortcut answers from the latest one): a URL name is reversed against the
 * request's application (`'login'` -> `/login/`); a path or a URL (anything with a `/`) is returned
 * as is. A bare name that no route has is `NoReverseMatch`.
 */
export function resolveSettingUrl(request: HttpRequest, to: string): string {
  if (to.includes('/')) return to;
  const resolver = request.app?.resolver;
  if (!(resolver instanceof UrlResolver)) return to;
  try {
    return resolver.reverse(to);
  } catch (error) {
    // `login.html`-like values are URLs to Django too.
    if (error instanceof NoReverseMatch && to.includes('.')) return to;
    throw error;
  }
}

/**
 * Django's `redirect_to_login()`: a 302 to the login page with `?next=<next>` (slashes left as they
 * are: `/accounts/login/?next=/posts/new/`), keeping the login URL's own query.
 */
export function redirectToLogin(
  request: HttpRequest,
  next: string,
  options: LoginRedirectOptions = {},
): HttpResponseRedirect {
  const loginUrl = resolveSettingUrl(
    request,
    options.loginUrl ?? request.app?.settings.LOGIN_URL ?? '/accounts/login/',
  );
  const field = options.redirectFieldName === undefined ? REDIRECT_FIELD_NAME : options.redirectFieldName;
  if (!field) return new HttpResponseRedirect(loginUrl);
  return new HttpResponseRedirect(withQueryParameter(loginUrl, field, next));
}

/**
 * What Django's `user_passes_test` sends as `next`: the full path when the login page is on this
 * site (same scheme and host, or given as a path), else the whole absolute URL.
 */
export function nextForLogin(request: HttpRequest, loginUrl: string): string {
  const login = splitUrl(loginUrl);
  if (login === null || (login.scheme === '' && login.netloc === '')) return request.getFullPath();
  const absolute = request.buildAbsoluteUri();
  const current = splitUrl(absolute);
  const sameScheme = login.scheme === '' || login.scheme === current?.scheme;
  const sameHost = login.netloc === '' || login.netloc === current?.netloc;
  return sameScheme && sameHost ? request.getFullPath() : absolute;
}

/** Options of {@link loginRedirectUrl} and {@link logoutRedirectUrl}. */
export interface SuccessUrlOptions {
  /** The field (POST, then query) that may name where to go (default `next`). */
  redirectFieldName?: string;
  /** Hosts besides the request's own that `next` may point to (Django's `success_url_allowed_hosts`). */
  allowedHosts?: Iterable<string>;
}

/**
 * Where Django's `LoginView` goes after a successful login: the `next` field (the form's, else the
 * query's) when {@link urlHasAllowedHostAndScheme} says it stays on this site (HTTPS only from an
 * HTTPS page), else `LOGIN_REDIRECT_URL` (a path or a URL name).
 */
export function loginRedirectUrl(request: HttpRequest, options: SuccessUrlOptions = {}): string {
  return (
    safeNext(request, options) ??
    resolveSettingUrl(request, request.app?.settings.LOGIN_REDIRECT_URL ?? '/accounts/profile/')
  );
}

/**
 * Where Django's `LogoutView` goes after logging out: a safe `next`, else `LOGOUT_REDIRECT_URL`, else
 * `null` (Django then shows a "logged out" page instead of redirecting).
 */
export function logoutRedirectUrl(request: HttpRequest, options: SuccessUrlOptions = {}): string | null {
  const configured = request.app?.settings.LOGOUT_REDIRECT_URL;
  return safeNext(request, options) ?? (configured ? resolveSettingUrl(request, configured) : null);
}

function safeNext(request: HttpRequest, options: SuccessUrlOptions): string | null {
  const field = options.redirectFieldName ?? REDIRECT_FIELD_NAME;
  const next = request.POST.get(field) ?? request.GET.get(field);
  const allowedHosts = [request.getHost(), ...(options.allowedHosts ?? [])];
  return next !== null && urlHasAllowedHostAndScheme(next, allowedHosts, request.isSecure()) ? next : null;
}

/** `url` with `name=value` in its query (replacing any `name` there), encoded as Python's `quote_plus`. */
function withQueryParameter(url: string, name: string, value: string): string {
  const hashAt = url.indexOf('#');
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const beforeFragment = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = beforeFragment.indexOf('?');
  const base = queryAt === -1 ? beforeFragment : beforeFragment.slice(0, queryAt);
  const query = queryAt === -1 ? '' : beforeFragment.slice(queryAt + 1);
  const kept = query.split('&').filter((pair) => pair !== '' && decodedKey(pair) !== name);
  kept.push(`${quotePlus(name)}=${quotePlus(value, '/')}`);
  return `${base}?${kept.join('&')}${fragment}`;
}

function decodedKey(pair: string): string {
  const key = pair.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Python's `quote_plus(text, safe)`: only letters, digits, `_.-~` (and `safe`) stay as they are. */
function quotePlus(text: string, safe = ''): string {
  let encoded = encodeURIComponent(text.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
  if (safe.includes('/')) encoded = encoded.replace(/%2F/g, '/');
  return encoded;
}
