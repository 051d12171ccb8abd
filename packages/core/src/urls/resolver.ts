import { Http404, ImproperlyConfigured, NoReverseMatch } from '../exceptions';
import type { ResolverMatch } from '../http/request-types';
import { NamespaceTree } from './namespaces';
import {
  urlpatternsOf,
  type ErrorView,
  type ServerErrorView,
  type UrlConf,
  type UrlConfModule,
  type View,
} from './patterns';
import {
  compilePieces,
  paramNames,
  parseDjangoRoute,
  parseRegexRoute,
  quotePath,
  parsePathToRegexpRoute,
  reversePieces,
  syntaxOf,
  type CompiledParam,
  type RoutePiece,
} from './route';

/** One `path()` after its prefixes were folded in: a single anchored regex over the whole path. */
export interface CompiledRoute {
  /** The route as written, prefixes included (for 404 pages and `manouche routes`). */
  readonly route: string;
  /** The full name, namespaces included (`blog:post-detail`), or `null`. */
  readonly name: string | null;
  /** The pattern's own name (`post-detail`), or `null`. */
  readonly urlName: string | null;
  /** The namespaces of the enclosing `include()`s, outermost first. */
  readonly namespaces: readonly string[];
  /** Their application namespaces, one per namespace (`appName`, else the namespace itself). */
  readonly appNames: readonly string[];
  readonly view: View;
  readonly regexp: RegExp;
  readonly params: readonly CompiledParam[];
  /** The route as text and parameters, for `reverse()`. */
  readonly pieces: readonly RoutePiece[];
  /** A `rePath()` route: its own groups, after the prefix's parameters. */
  readonly regex: RegexMatchInfo | null;
}

/** How a `rePath()` route's match becomes parameters. */
interface RegexMatchInfo {
  /** Capture groups before the pattern's own (the prefix's parameters). */
  readonly firstGroup: number;
  /** Named groups are the parameters; otherwise the groups are positional `args`. */
  readonly named: boolean;
  /** `reverse()` can fill the pattern in (text and named groups only). */
  readonly reversible: boolean;
}

/** What {@link UrlResolver.reverse} takes besides the name and the parameters. */
export interface ReverseOptions {
  /**
   * The instance namespace(s) to prefer for an application namespace (Django's `current_app`), as
   * `request.resolverMatch.namespace` gives them: `reverse('polls:index', {}, { currentApp:
   * request.resolverMatch.namespace })` stays inside the instance that served the request.
   */
  currentApp?: string | null;
}

/** The status codes whose error view a URL conf module may replace (Django's `handlerXXX`). */
const ERROR_HANDLER_STATUSES = [400, 403, 404, 500] as const;
type ErrorHandlerStatus = (typeof ERROR_HANDLER_STATUSES)[number];

/** A resolved request: the route and the converted parameters. */
export interface Resolution extends ResolverMatch {
  readonly view: View;
  readonly params: Record<string, unknown>;
}

/**
 * The URL conf compiled once: a flat, ordered list of anchored regexes, plus a map from literal path
 * to route for the routes that have no parameters (safe because a literal route only goes in the map
 * when no earlier route also matches its path, so first-match order is kept).
 */
export class UrlResolver {
  readonly routes: readonly CompiledRoute[];
  readonly #literal = new Map<string, CompiledRoute>();
  readonly #dynamic: readonly CompiledRoute[];
  readonly #byName = new Map<string, CompiledRoute[]>();
  readonly #namespaces = new NamespaceTree();
  readonly #errorHandlers = new Map<number, ErrorView | ServerErrorView>();

  constructor(conf: UrlConf | UrlConfModule) {
    const urlconf = conf !== null && typeof conf === 'object' ? urlpatternsOf(conf) : undefined;
    if (!Array.isArray(urlconf))
      throw new ImproperlyConfigured(
        'ROOT_URLCONF must be an array of path()/include() entries, or a module exporting them as urlpatterns',
      );
    if (!Array.isArray(conf)) this.#loadErrorHandlers(conf as UrlConfModule);
    const routes: CompiledRoute[] = [];
    flatten(
      urlconf,
      {
        pieces: [{ type: 'text', value: '/' }],
        syntax: 'django',
        route: '',
        namespaces: [],
        appNames: [],
      },
      routes,
    );
    this.routes = routes;
    for (const route of routes) this.#namespaces.add(route.namespaces, route.appNames);
    const dynamic: CompiledRoute[] = [];
    routes.forEach((route, index) => {
      const literal = literalPathOf(route);
      const shadowed =
        literal !== null && routes.slice(0, index).some((earlier) => earlier.regexp.test(literal));
      if (literal !== null && !shadowed) {
        for (const variant of literalVariants(route, literal))
          if (!this.#literal.has(variant)) this.#literal.set(variant, route);
      } else {
        dynamic.push(route);
      }
      if (route.name !== null) {
        const named = this.#byName.get(route.name);
        if (named) named.push(route);
        else this.#byName.set(route.name, [route]);
      }
    });
    this.#dynamic = dynamic;
  }

  /** The route for `path`, or `null`. */
  match(path: string): Resolution | null {
    const literal = this.#literal.get(path);
    if (literal !== undefined) return resolution(literal, {});
    for (const route of this.#dynamic) {
      const match = route.regexp.exec(path);
      if (match === null) continue;
      const params = convertParams(route, match);
      if (params !== null) return resolution(route, params, positionalArgs(route, match));
    }
    return null;
  }

  /** The route for `path`; throws {@link Http404} when none matches. */
  resolve(path: string): Resolution {
    const resolution = this.match(path);
    if (resolution === null) throw new Http404(`No URL pattern matches ${JSON.stringify(path)}`);
    return resolution;
  }

  /**
   * The custom error view the root URL conf module exports for `status` (`handler404`...), or `null`
   * for the default page (Django's `resolve_error_handler`).
   */
  errorHandler(status: 400 | 403 | 404): ErrorView | null;
  errorHandler(status: 500): ServerErrorView | null;
  errorHandler(status: number): ErrorView | ServerErrorView | null;
  errorHandler(status: number): ErrorView | ServerErrorView | null {
    return this.#errorHandlers.get(status) ?? null;
  }

  /**
   * The path of the route named `name`: `namespace:name` inside a namespaced include. A namespace
   * that is an application namespace picks one of its instances as Django does: `currentApp`'s when it
   * names one, else the default instance (the one whose namespace is the application's name), else
   * the last one deployed.
   */
  reverse(name: string, params: Record<string, unknown> = {}, options: ReverseOptions = {}): string {
    const candidates = this.#byName.get(this.#namespaces.instanceName(name, options.currentApp ?? null));
    if (!candidates)
      throw new NoReverseMatch(`Reverse for ${JSON.stringify(name)} not found: no URL pattern has that name`);
    const reasons: string[] = [];
    for (const route of candidates) {
      if (route.regex !== null && !route.regex.reversible) {
        reasons.push(
          `${route.route}: a regular expression richer than text and named groups can't be reversed`,
        );
        continue;
      }
      const unknown = Object.keys(params).filter((key) => !paramNames(route.pieces).includes(key));
      if (unknown.length > 0) {
        reasons.push(`${route.route}: unknown parameter(s) ${unknown.join(', ')}`);
        continue;
      }
      try {
        return quotePath(reversePieces(route.pieces, params));
      } catch (error) {
        if (!(error instanceof NoReverseMatch)) throw error;
        reasons.push(`${route.route}: ${error.message}`);
      }
    }
    throw new NoReverseMatch(
      `Reverse for ${JSON.stringify(name)} with ${JSON.stringify(params)} not found: ${reasons.join('; ')}`,
    );
  }

  #loadErrorHandlers(module: UrlConfModule): void {
    for (const status of ERROR_HANDLER_STATUSES) {
      const handler = module[`handler${status}` as `handler${ErrorHandlerStatus}`];
      if (handler === undefined || handler === null) continue;
      if (typeof handler !== 'function')
        throw new ImproperlyConfigured(
          `The custom handler${status} view of ROOT_URLCONF must be a function (request${status === 500 ? '' : ', exception'}) => response; got ${typeof handler}`,
        );
      this.#errorHandlers.set(status, handler);
    }
  }
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);

function resolution(
  route: CompiledRoute,
  params: Record<string, unknown>,
  args: readonly unknown[] = NO_ARGS,
): Resolution {
  const namespace = route.namespaces.join(':');
  return {
    view: route.view,
    params,
    kwargs: params,
    args,
    urlName: route.urlName,
    viewName: route.name,
    namespaces: route.namespaces,
    namespace,
    appNames: route.appNames,
    appName: route.appNames.join(':'),
    route: route.route,
  };
}

interface Prefix {
  pieces: RoutePiece[];
  syntax: 'django' | 'path-to-regexp';
  route: string;
  namespaces: readonly string[];
  appNames: readonly string[];
}

function flatten(urlconf: UrlConf, prefix: Prefix, into: CompiledRoute[]): void {
  for (const entry of urlconf) {
    if (entry === null || typeof entry !== 'object' || (entry.kind !== 'path' && entry.kind !== 'include')) {
      throw new ImproperlyConfigured(
        `ROOT_URLCONF (and every include()) must list path() or include() entries; got ${String(entry)}`,
      );
    }
    if (entry.kind === 'include') {
      if (!Array.isArray(entry.patterns)) {
        throw new ImproperlyConfigured(
          `include(${JSON.stringify(entry.prefix)}) needs an array of path()/include() entries; got ${typeof entry.patterns}`,
        );
      }
      const nested = entry.namespace !== null;
      const namespaces = nested ? [...prefix.namespaces, entry.namespace] : prefix.namespaces;
      const appNames = nested ? [...prefix.appNames, entry.appName ?? entry.namespace] : prefix.appNames;
      flatten(entry.patterns, { ...join(prefix, entry.prefix), namespaces, appNames }, into);
      continue;
    }
    if (typeof entry.view !== 'function') {
      throw new ImproperlyConfigured(
        `The view for URL route ${JSON.stringify(entry.route)} must be a function; got ${typeof entry.view}`,
      );
    }
    if (entry.regex === true) {
      into.push(compileRegexRoute(prefix, entry.route, entry.name, entry.view));
      continue;
    }
    const joined = join(prefix, entry.route);
    const { source, params } = compilePieces(joined.pieces);
    // path-to-regexp users expect an optional trailing slash; Django routes match exactly (APPEND_SLASH
    // redirects instead).
    const trailing = joined.syntax === 'path-to-regexp' && !source.endsWith('\\/') ? '(?:\\/)?' : '';
    into.push({
      route: joined.route,
      name: entry.name === null ? null : [...prefix.namespaces, entry.name].join(':'),
      urlName: entry.name,
      namespaces: prefix.namespaces,
      appNames: prefix.appNames,
      view: entry.view,
      regexp: new RegExp(`^${source}${trailing}$`),
      params,
      pieces: joined.pieces,
      regex: null,
    });
  }
}

/** A `rePath()` entry under `prefix`: the prefix's pieces, then the pattern itself. */
function compileRegexRoute(prefix: Prefix, pattern: string, name: string | null, view: View): CompiledRoute {
  const compiled = parseRegexRoute(pattern);
  // Django matches the pattern against the path without its leading slash, like a Django-syntax route.
  let base = join(prefix, '');
  const last = base.pieces[base.pieces.length - 1];
  if (last?.type !== 'text' || !last.value.endsWith('/'))
    base = {
      ...base,
      pieces: mergeText([...base.pieces, { type: 'text', value: '/' }]),
      route: `${base.route}/`,
    };
  const { source, params } = compilePieces(base.pieces);
  const firstGroup = new RegExp(`${source}|`).exec('')!.length - 1;
  return {
    route: base.route + pattern,
    name: name === null ? null : [...prefix.namespaces, name].join(':'),
    urlName: name,
    namespaces: prefix.namespaces,
    appNames: prefix.appNames,
    view,
    regexp: new RegExp(`^${source}(?:${compiled.source})${compiled.anchored ? '$' : ''}`),
    params,
    pieces: compiled.pieces === null ? base.pieces : mergeText([...base.pieces, ...compiled.pieces]),
    regex: { firstGroup, named: compiled.named, reversible: compiled.pieces !== null },
  };
}

/** Appends `route` to `prefix`, merging the slash between them so both syntaxes nest either way. */
function join(prefix: Prefix, route: string): Prefix {
  const syntax = syntaxOf(route);
  const child = syntax === 'django' ? parseDjangoRoute(route) : parsePathToRegexpRoute(route);
  const pieces = [...prefix.pieces];
  const last = pieces[pieces.length - 1];
  const endsWithSlash = last?.type === 'text' && last.value.endsWith('/');
  // The route as written gets the same slash merging as the pieces (`blog/` + `/posts/:id` reads
  // `blog/posts/:id`, `/api` + `items/` reads `/api/items/`).
  let written = prefix.route;
  if (syntax === 'path-to-regexp' && endsWithSlash) {
    const trimmed = last.value.slice(0, -1);
    if (trimmed === '') pieces.pop();
    else pieces[pieces.length - 1] = { type: 'text', value: trimmed };
    if (written.endsWith('/')) written = written.slice(0, -1);
  } else if (syntax === 'django' && prefix.syntax === 'path-to-regexp' && !endsWithSlash && route !== '') {
    pieces.push({ type: 'text', value: '/' });
    written += '/';
  }
  pieces.push(...child);
  return {
    pieces: mergeText(pieces),
    syntax,
    route: written + route,
    namespaces: prefix.namespaces,
    appNames: prefix.appNames,
  };
}

function mergeText(pieces: RoutePiece[]): RoutePiece[] {
  const merged: RoutePiece[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (piece.type === 'text' && last?.type === 'text')
      merged[merged.length - 1] = { type: 'text', value: last.value + piece.value };
    else merged.push(piece);
  }
  return merged;
}

function literalPathOf(route: CompiledRoute): string | null {
  // A regular expression may match more than its text (no `$`: any path it starts).
  if (route.regex !== null) return null;
  return route.pieces.length === 1 && route.pieces[0]!.type === 'text' ? route.pieces[0]!.value : null;
}

function literalVariants(route: CompiledRoute, literal: string): string[] {
  return route.regexp.test(`${literal}/`) ? [literal, `${literal}/`] : [literal];
}

/** A `rePath()` route without named groups passes its groups positionally (Django's `args`). */
function positionalArgs(route: CompiledRoute, match: RegExpExecArray): readonly unknown[] {
  if (route.regex === null || route.regex.named) return NO_ARGS;
  return match.slice(route.regex.firstGroup + 1).filter((group) => group !== undefined);
}

function convertParams(route: CompiledRoute, match: RegExpExecArray): Record<string, unknown> | null {
  const params: Record<string, unknown> = {};
  if (route.regex?.named === true) {
    for (const [name, value] of Object.entries(match.groups ?? {}))
      if (value !== undefined) params[name] = value;
  }
  for (const param of route.params) {
    const raw = match[param.group];
    if (raw === undefined) continue;
    try {
      params[param.name] = param.converter.toJs(raw);
    } catch {
      // Django: a converter that raises ValueError means "this route does not match".
      return null;
    }
  }
  return params;
}
