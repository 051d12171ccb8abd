import { ImproperlyConfigured, MiddlewareNotUsed, MissingResponse } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { responseForException, type ConversionContext } from './convert';
import { isPromiseLike } from './promise';
import type {
  GetResponse,
  MaybePromise,
  Middleware,
  MiddlewareEntry,
  MiddlewareFactory,
  ViewLayerHooks,
} from './types';

type Layer = (request: HttpRequest) => MaybePromise<HttpResponse>;

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
): GetResponse {
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

/**
 * Wraps a layer so it always resolves to a response: a throw (or a rejected promise) becomes the
 * converted response, and returning nothing is an error (500).
 */
/**
 * Promises made by {@link convertExceptionToResponse}: they never reject and always hold a response.
 * A layer that hands back what `getResponse` gave it (a pass-through, or `return getResponse(r)`
 * after a request-phase check) needs no second wrapping, so its wrapper returns the promise as is.
 */
const converting = new WeakSet<Promise<HttpResponse>>();

export function convertExceptionToResponse(
  layer: Layer,
  owner: string,
  context: () => ConversionContext,
): GetResponse {
  // Promise chaining rather than async/await: this wrapper runs once per layer per request.
  const missing = (response: unknown): MissingResponse =>
    new MissingResponse(
      `${owner} didn't return an HttpResponse object. It returned ${String(response)} instead.`,
    );
  return function converted(request) {
    let result: MaybePromise<HttpResponse>;
    try {
      result = layer(request);
    } catch (error) {
      return Promise.resolve(responseForException(request, error, context()));
    }
    // A pass-through layer hands back its inner wrapper's promise: nothing left to convert.
    if (result instanceof Promise && converting.has(result)) return result;
    const convert = (error: unknown): HttpResponse => responseForException(request, error, context());
    const accept = (response: HttpResponse | null | undefined): HttpResponse =>
      response == null ? convert(missing(response)) : response;
    const promise = isPromiseLike(result)
      ? Promise.resolve(result).then(accept, convert)
      : Promise.resolve(accept(result));
    converting.add(promise);
    return promise;
  };
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
