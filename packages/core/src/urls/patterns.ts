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
  /** The instance namespace (Django's `namespace`). */
  readonly namespace: string | null;
  /** The application namespace (Django's `app_name`); the instance namespace when not given. */
  readonly appName: string | null;
}

/** A URL conf: `ROOT_URLCONF` and what `include()` takes. */
export type UrlConf = ReadonlyArray<UrlPattern | UrlInclude>;

/** Django's `handler400`/`handler403`/`handler404`: a view given the request and the exception. */
export type ErrorView = (request: HttpRequest, exception: unknown) => HttpResponse | Promise<HttpResponse>;

/** Django's `handler500`: a view given the request only. */
export type ServerErrorView = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/**
 * A URL conf module, as Django's `urls.py`: `import * as urls from './urls'` where the module exports
 * `urlpatterns`, and optionally `appName` (Django's `app_name`, for `include()`) and, for
 * `ROOT_URLCONF` only, the custom error views `handler400`, `handler403`, `handler404`, `handler500`.
 */
export interface UrlConfModule {
  readonly urlpatterns: UrlConf;
  readonly appName?: string;
  readonly handler400?: ErrorView;
  readonly handler403?: ErrorView;
  readonly handler404?: ErrorView;
  readonly handler500?: ServerErrorView;
}

declare module '../settings' {
  interface Settings {
    /** The URL conf: `path()` and `include()` entries, or a module exporting them as `urlpatterns`. */
    ROOT_URLCONF: UrlConf | UrlConfModule;
  }
}

/** Whether `value` is a URL conf: an array of entries, or a module exporting them as `urlpatterns`. */
export function isUrlConf(value: unknown): value is UrlConf | UrlConfModule {
  if (Array.isArray(value)) return true;
  return typeof value === 'object' && value !== null && Array.isArray((value as UrlConfModule).urlpatterns);
}

/** The entries of a URL conf given as an array or as a module. */
export function urlpatternsOf(conf: UrlConf | UrlConfModule): UrlConf {
  return Array.isArray(conf) ? conf : (conf as UrlConfModule).urlpatterns;
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

/** What {@link include} takes besides the patterns. */
export interface IncludeOptions {
  /** The instance namespace: names reverse as `namespace:name`. Default: the application namespace. */
  namespace?: string;
  /** The application namespace (Django's `app_name`). Default: the module's `appName`, else `namespace`. */
  appName?: string;
}

/**
 * Mounts `patterns` (an array, or a URL conf module exporting `urlpatterns` and maybe `appName`) under
 * `prefix`. With a namespace, their names reverse as `namespace:name`; the same patterns included
 * twice under one `appName` and two namespaces reverse as `appName:name` too, picking the instance as
 * Django does (see `reverse()`'s `currentApp`).
 */
export function include(
  prefix: string,
  patterns: UrlConf | UrlConfModule,
  options: IncludeOptions = {},
): UrlInclude {
  const moduleAppName = Array.isArray(patterns) ? undefined : (patterns as UrlConfModule).appName;
  const appName = options.appName ?? moduleAppName ?? options.namespace ?? null;
  return {
    kind: 'include',
    prefix,
    patterns: urlpatternsOf(patterns),
    namespace: options.namespace ?? appName,
    appName,
  };
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
