import { ImproperlyConfigured } from '../exceptions';
import type { Resolution, ReverseOptions, UrlResolver } from './resolver';

let current: UrlResolver | null = null;

/** Called by `createApp`: `reverse()` answers from the most recently created application's URL conf. */
export function setDefaultResolver(resolver: UrlResolver): void {
  current = resolver;
}

/**
 * The path of the URL pattern named `name` (Django's `reverse`), from the URL conf of the most recently
 * created application; `app.reverse()` asks one application in particular. In `app:name`, an
 * application namespace picks its instance as Django does: `currentApp`'s, else the default one
 * (whose namespace is the application's name), else the last deployed.
 *
 * ```ts
 * reverse('post-detail', { id: 3 }) // '/posts/3/'
 * reverse('polls:index', {}, { currentApp: request.resolverMatch?.namespace }) // this instance's
 * ```
 */
export function reverse(
  name: string,
  params: Record<string, unknown> = {},
  options: ReverseOptions = {},
): string {
  if (current === null)
    throw new ImproperlyConfigured('reverse() needs an application: call createApp() first');
  return current.reverse(name, params, options);
}

/**
 * A URL reversed when first used rather than when written (Django's `reverse_lazy`): for values built
 * when a module loads, before `createApp` (a class-based view's `successUrl`, a settings entry).
 * Wherever a string is expected, use `String(url)` or a template literal; `redirect(url)` takes it as
 * is (it has `getAbsoluteUrl()`).
 */
export class LazyUrl {
  readonly #name: string;
  readonly #params: Record<string, unknown>;
  readonly #options: ReverseOptions;

  constructor(name: string, params: Record<string, unknown> = {}, options: ReverseOptions = {}) {
    this.#name = name;
    this.#params = params;
    this.#options = options;
  }

  /** The path, reversed now (from the most recently created application). */
  toString(): string {
    return reverse(this.#name, this.#params, this.#options);
  }

  /** The same path, so `redirect()` and `resolveUrl()` take a lazy URL as they take a model. */
  getAbsoluteUrl(): string {
    return this.toString();
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Django's `reverse_lazy`: a {@link LazyUrl} for `name`, reversed when it is first turned into a string. */
export function reverseLazy(
  name: string,
  params: Record<string, unknown> = {},
  options: ReverseOptions = {},
): LazyUrl {
  return new LazyUrl(name, params, options);
}

/**
 * What the URL conf of the most recently created application maps `path` to (Django's `resolve`):
 * the view, its parameters, names and namespaces, as `request.resolverMatch` holds them. No match
 * throws `Http404`, as Django's `Resolver404` (an `Http404`) does.
 *
 * ```ts
 * resolve('/posts/3/').viewName // 'post-detail'
 * ```
 */
export function resolve(path: string): Resolution {
  if (current === null)
    throw new ImproperlyConfigured('resolve() needs an application: call createApp() first');
  return current.resolve(path);
}
