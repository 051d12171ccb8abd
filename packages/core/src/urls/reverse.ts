import { ImproperlyConfigured } from '../exceptions';
import type { UrlResolver } from './resolver';

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
