import { ImproperlyConfigured, MiddlewareNotUsed } from '../exceptions';
import {
  convertExceptionToResponse,
  type ConversionContext,
  type Layer,
  type SettledLayer,
} from './exception';
import { collectHooks, type StackHooks, type StackMember } from './hooks';
import type { GetResponse, Middleware, MiddlewareEntry, MiddlewareFactory } from './types';

/**
 * Builds the `MIDDLEWARE` onion once, from the inside out (Django's `load_middleware`): the view
 * layer, then C, B, A, each wrapped so an exception escaping it becomes a response right there.
 * Fills `hooks` with the view-level hooks and returns the outermost layer.
 */
export function buildOnion(
  entries: readonly MiddlewareEntry[],
  viewLayer: Layer,
  hooks: StackHooks,
  context: () => ConversionContext,
): SettledLayer {
  // No entries: no middleware receives a getResponse, so the view layer need not answer with a promise.
  if (entries.length === 0) return convertExceptionToResponse(viewLayer, 'The view layer', context, false);
  let handler = convertExceptionToResponse(viewLayer, 'The view layer', context, true) as GetResponse;
  const members: StackMember[] = [];
  for (let index = entries.length - 1; index >= 0; index--) {
    const entry = entries[index]!;
    const name = entry.name || `MIDDLEWARE[${index}]`;
    let layer: Layer;
    try {
      if (isClass(entry)) {
        const instance: Middleware = new (entry as new (getResponse: GetResponse) => Middleware)(handler);
        if (typeof instance.call !== 'function') {
          throw new ImproperlyConfigured(
            `${name} in MIDDLEWARE has no call(request) method: extend MiddlewareMixin, or add call(), or move it to MIDDLEWARE_CLASSES`,
          );
        }
        // Bound rather than `(request) => instance.call(request)`: that one closure body would be
        // shared by every layer, and its call site, seeing a class per layer, would go megamorphic.
        layer = instance.call.bind(instance);
        members.unshift({ owner: name, instance });
      } else {
        const produced: unknown = (entry as MiddlewareFactory)(handler);
        if (typeof produced !== 'function') {
          throw new ImproperlyConfigured(
            `Middleware factory ${name} returned ${String(produced)}; it must return a (request) => response function`,
          );
        }
        layer = produced as Layer;
      }
    } catch (error) {
      if (error instanceof MiddlewareNotUsed) continue;
      throw error;
    }
    handler = convertExceptionToResponse(layer, `${name}.call`, context, true) as GetResponse;
  }
  collectHooks(members, hooks, 'view-level');
  return handler;
}

/** A class (to `new`) rather than a factory (to call). */
export function isClass(entry: unknown): boolean {
  if (typeof entry !== 'function') return false;
  if (Function.prototype.toString.call(entry).startsWith('class')) return true;
  const prototype = (entry as { prototype?: object }).prototype;
  return prototype !== undefined && Object.getOwnPropertyNames(prototype).length > 1;
}
