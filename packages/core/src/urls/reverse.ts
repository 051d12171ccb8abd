import { ImproperlyConfigured } from '../exceptions';
import type { Resolution, UrlResolver } from './resolver';

let current: UrlResolver | null = null;

/** Called by `createApp`: `reverse()` answers from the most recently created application's URL conf. */
export function setDefaultResolver(resolver: UrlResolver): void {
  current = resolver;
}

/**
 * The path of the URL pattern named `name` (Django's `reverse`), from the URL conf of the most recently
 * created application; `app.reverse()` asks one application in particular.
 *
 * ```ts
 * reverse('post-detail', { id: 3 }) // '/posts/3/'
 * ```
 */
export function reverse(name: string, params: Record<string, unknown> = {}): string {
  if (current === null)
    throw new ImproperlyConfigured('reverse() needs an application: call createApp() first');
  return current.reverse(name, params);
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
