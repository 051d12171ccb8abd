import { ImproperlyConfigured, MiddlewareNotUsed } from '../exceptions';
import type { ConversionContext } from './convert';
import { convertExceptionToResponse, settleLayer, type Layer, type SettledLayer } from './settle';
import type { GetResponse, Middleware, MiddlewareEntry, MiddlewareFactory, ViewLayerHooks } from './types';

/**
 * Builds the `MIDDLEWARE` onion once, from the inside out (Django's `load_middleware`): the view
 * layer, then C, B, A, each wrapped so an exception escaping it becomes a response right there.
 * Fills `hooks` with the view-level hooks in Django's order and returns the outermost layer.
 */
export function buildOnion(
  entries: readonly MiddlewareEntry[],
  viewLayer: Layer,
  hooks: ViewLayerHooks,
  context: () => ConversionContext,
): SettledLayer {
  // No entries: no middleware receives a getResponse, so the view layer need not answer with a promise.
  if (entries.length === 0) return settleLayer(viewLayer, 'The view layer', context);
  let handler = convertExceptionToResponse(viewLayer, 'The view layer', context);
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
        layer = (request) => instance.call(request);
        collectHooks(instance, name, hooks);
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
    handler = convertExceptionToResponse(layer, `${name}.call`, context);
  }
  return handler;
}

function collectHooks(instance: Middleware, owner: string, hooks: ViewLayerHooks): void {
  // Django: processView in list order (insert at the front while walking the list backwards),
  // processTemplateResponse and processException in reverse list order.
  if (typeof instance.processView === 'function')
    hooks.view.unshift({ owner, run: instance.processView.bind(instance) });
  if (typeof instance.processTemplateResponse === 'function') {
    hooks.templateResponse.push({ owner, run: instance.processTemplateResponse.bind(instance) });
  }
  if (typeof instance.processException === 'function') {
    hooks.exception.push({ owner, run: instance.processException.bind(instance) });
  }
}

/** A class (to `new`) rather than a factory (to call). */
export function isClass(entry: unknown): boolean {
  if (typeof entry !== 'function') return false;
  if (Function.prototype.toString.call(entry).startsWith('class')) return true;
  const prototype = (entry as { prototype?: object }).prototype;
  return prototype !== undefined && Object.getOwnPropertyNames(prototype).length > 1;
}
