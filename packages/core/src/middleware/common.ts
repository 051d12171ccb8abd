import { AppendSlashRedirectError, PermissionDenied } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { HttpResponsePermanentRedirect, type HttpResponse } from '../http/response';
import type { View } from '../urls/patterns';
import { wraps } from '../views/wraps';
import { MiddlewareMixin } from './mixin';

const NOT_FOUND = 404;

/** Methods whose body a browser would drop when following a redirect. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Django's `CommonMiddleware`: URL normalisation, read from the settings on every request.
 *
 * - `DISALLOWED_USER_AGENTS`: a request whose `User-Agent` matches one of the patterns is refused
 *   with `PermissionDenied` (403, one log line), before anything else.
 * - `PREPEND_WWW`: a request whose host doesn't start with `www.` is redirected (301) to the same URL
 *   on `www.` + host, with the slash appended too when `APPEND_SLASH` would add it.
 * - `APPEND_SLASH`: a 404 for a path that doesn't end in `/`, doesn't resolve, and would resolve with
 *   a `/` appended, becomes a 301 to `path + '/'` (query string kept). Only 404s are looked at, so a
 *   view at `/about` keeps answering there, and a view marked with {@link noAppendSlash} is never
 *   redirected to.
 *
 * With `DEBUG` on, a `POST`, `PUT` or `PATCH` that would be redirected fails with
 * {@link AppendSlashRedirectError} (500) instead, because the redirect would drop its body.
 *
 * Works in `MIDDLEWARE` and `MIDDLEWARE_CLASSES`.
 */
export class CommonMiddleware extends MiddlewareMixin {
  /** Redirects with 301; set a subclass's to `HttpResponseRedirect` for 302, as in Django. */
  protected responseRedirectClass: new (url: string) => HttpResponse = HttpResponsePermanentRedirect;

  override processRequest(request: HttpRequest): HttpResponse | null {
    const settings = request.app!.settings;
    if (settings.DISALLOWED_USER_AGENTS.length > 0) {
      const userAgent = request.headers.get('user-agent');
      if (
        userAgent !== null &&
        settings.DISALLOWED_USER_AGENTS.some((pattern) => matches(pattern, userAgent))
      )
        throw new PermissionDenied('Forbidden user agent');
    }
    if (!settings.PREPEND_WWW) return null;
    const host = request.getHost();
    if (host === '' || host.startsWith('www.')) return null;
    // Append the slash in the same redirect when it is needed, rather than redirecting twice.
    const path = this.shouldRedirectWithSlash(request)
      ? this.getFullPathWithSlash(request)
      : escapeLeadingSlashes(escapeUriPath(request.path) + querySuffix(request));
    const scheme = request.isSecure() ? 'https' : 'http';
    return new this.responseRedirectClass(`${scheme}://www.${host}${path}`);
  }

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    if (response.statusCode === NOT_FOUND && this.shouldRedirectWithSlash(request)) {
      return new this.responseRedirectClass(this.getFullPathWithSlash(request));
    }
    return response;
  }

  /**
   * True when `APPEND_SLASH` is on, the path doesn't end in `/`, the path doesn't resolve, and the path
   * with `/` appended does, to a view not marked with {@link noAppendSlash}.
   */
  protected shouldRedirectWithSlash(request: HttpRequest): boolean {
    const app = request.app!;
    if (!app.settings.APPEND_SLASH || request.path.endsWith('/')) return false;
    const resolver = app.resolver;
    if (resolver.match(request.path) != null) return false;
    const withSlash = resolver.match(`${request.path}/`) as { view: SlashMarked } | null;
    return withSlash != null && withSlash.view.shouldAppendSlash !== false;
  }

  /**
   * The full path with `/` appended to the path (before the query string). Throws
   * {@link AppendSlashRedirectError} with `DEBUG` on for a method whose body the redirect would lose.
   */
  protected getFullPathWithSlash(request: HttpRequest): string {
    const path = escapeLeadingSlashes(`${escapeUriPath(request.path)}/${querySuffix(request)}`);
    if (request.app!.settings.DEBUG && BODY_METHODS.has(request.method)) {
      const method = request.method;
      throw new AppendSlashRedirectError(
        `You called this URL via ${method}, but the URL doesn't end in a slash and you have APPEND_SLASH ` +
          `set. Manouche can't redirect to the slash URL while maintaining ${method} data. Change your ` +
          `form to point to ${request.getHost()}${path} (note the trailing slash), or set ` +
          `APPEND_SLASH: false in your settings.`,
      );
    }
    return path;
  }
}

/** A view's own say on `APPEND_SLASH` (Django's `should_append_slash` attribute). */
interface SlashMarked {
  shouldAppendSlash?: boolean;
}

/**
 * Django's `@no_append_slash`: `CommonMiddleware` never redirects to this view by appending a slash
 * (`/hook` stays a 404 even though `/hook/` is this view).
 */
export function noAppendSlash<V extends View>(view: V): V {
  const marked = wraps(view)(((request, params) => view(request, params)) as V);
  (marked as V & SlashMarked).shouldAppendSlash = false;
  return marked;
}

/** `pattern` found anywhere in `text` (Python's `re.search`), whatever flags the pattern has. */
function matches(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0; // a /g or /y pattern would otherwise resume where its last test stopped
  return pattern.test(text);
}

function querySuffix(request: HttpRequest): string {
  return request.queryString === '' ? '' : `?${request.queryString}`;
}

/**
 * Percent-encodes a decoded path for a `Location` header, keeping what Django's `escape_uri_path`
 * keeps (`/:@&+$,` and the unreserved characters); `?` and `#` in a path segment stay escaped.
 */
function escapeUriPath(path: string): string {
  return encodeURIComponent(path).replace(/%(2F|3A|40|26|2B|24|2C)/gi, (escaped) =>
    decodeURIComponent(escaped),
  );
}

/** `//evil.example/` would be a scheme-relative URL to another host: make it `/%2Fevil.example/`. */
function escapeLeadingSlashes(url: string): string {
  return url.startsWith('//') ? `/%2F${url.slice(2)}` : url;
}
