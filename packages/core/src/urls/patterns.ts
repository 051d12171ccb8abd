import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { RouteParams } from './route-params';

/** URL parameters a view receives: `int` converters give numbers, everything else strings. */
export type ViewParams = Record<string, unknown>;

/** A view: a request (and the URL's parameters) in, a response out. */
export type View<P extends ViewParams = ViewParams> = (
  request: HttpRequest,
  params: P,
) => HttpResponse | Promise<HttpResponse>;

/** One `path()` entry. */
export interface UrlPattern {
  readonly kind: 'path';
  readonly route: string;
  readonly view: View;
  readonly name: string | null;
  /** Set by {@link rePath}: `route` is a regular expression. */
  readonly regex?: true;
}

/** One `include()` entry. */
export interface UrlInclude {
  readonly kind: 'include';
  readonly prefix: string;
  readonly patterns: UrlConf;
  readonly namespace: string | null;
}

/** A URL conf: `ROOT_URLCONF` and what `include()` takes. */
export type UrlConf = ReadonlyArray<UrlPattern | UrlInclude>;

declare module '../settings' {
  interface Settings {
    /** The URL conf: `path()` and `include()` entries. */
    ROOT_URLCONF: UrlConf;
  }
}

/**
 * What `path()` takes: a view of the route's parameters. It may return nothing once it has served a
 * WebSocket (dwebsocket's shape, for an undecorated view under `WEBSOCKET_ACCEPT_ALL`); a plain
 * request answered with nothing is a 500 (`MissingResponse`).
 */
export type RouteView<P extends ViewParams = ViewParams> = (
  request: HttpRequest,
  params: P,
) => HttpResponse | void | Promise<HttpResponse | void>;

/**
 * Maps `route` to `view`. A route starting with `/` is path-to-regexp syntax (`/posts/:id`) matched
 * against the whole path; any other is Django syntax (`posts/<int:id>/`) matched against the path
 * without its leading `/`. The view's parameters are typed from the route string
 * (`(request, { id }) => ...` gets `id: number` from `<int:id>`), and a view whose parameters don't
 * match the route is a compile error.
 */
export function path<Route extends string>(
  route: Route,
  view: RouteView<RouteParams<Route>>,
  options: { name?: string } = {},
): UrlPattern {
  return { kind: 'path', route, view: view as unknown as View, name: options.name ?? null };
}

/**
 * Mounts `patterns` under `prefix`. With a `namespace`, their names reverse as `namespace:name`.
 */
export function include(prefix: string, patterns: UrlConf, options: { namespace?: string } = {}): UrlInclude {
  return { kind: 'include', prefix, patterns, namespace: options.namespace ?? null };
}

/**
 * Django's `re_path`: maps a regular expression to `view`. It is matched against the path without its
 * leading `/` (after any `include()` prefix), anchored at the start; it must match to the end only when
 * it ends with `$`, as in Django. Named groups (`(?<year>[0-9]{4})`, or Python's `(?P<year>...)`)
 * become the view's parameters, as strings; without named groups, the groups are
 * `request.resolverMatch.args`. `reverse()` works for patterns made of text and named groups.
 */
export function rePath(pattern: string, view: View, options: { name?: string } = {}): UrlPattern {
  return { kind: 'path', route: pattern, view, name: options.name ?? null, regex: true };
}
