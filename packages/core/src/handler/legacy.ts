import { MiddlewareNotUsed, MissingResponse } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { responseForException, serverError, type ConversionContext } from './convert';
import { processExceptionByMiddleware } from './view-layer';
import type { SettledLayer } from './settle';
import { runSteps, type Steps } from './steps';
import type {
  BoundHook,
  LegacyMiddleware,
  LegacyMiddlewareClass,
  ResponseOrNothing,
  ViewLayerHooks,
} from './types';

/**
 * Builds the `MIDDLEWARE_CLASSES` handler once (Django 1.11's `_legacy_get_response` plus the response
 * loop of `get_response`). Fills `hooks` with the view-level hooks and returns the request handler.
 */
export function buildLegacy(
  classes: readonly LegacyMiddlewareClass[],
  viewLayer: SettledLayer,
  hooks: ViewLayerHooks,
  context: () => ConversionContext,
): SettledLayer {
  const requestHooks: BoundHook<NonNullable<LegacyMiddleware['processRequest']>>[] = [];
  const responseHooks: BoundHook<NonNullable<LegacyMiddleware['processResponse']>>[] = [];
  classes.forEach((MiddlewareClass, index) => {
    let instance: LegacyMiddleware;
    try {
      instance = new MiddlewareClass();
    } catch (error) {
      if (error instanceof MiddlewareNotUsed) return;
      throw error;
    }
    const owner = MiddlewareClass.name || `MIDDLEWARE_CLASSES[${index}]`;
    // Request and view hooks in list order; template, response and exception hooks reversed.
    if (typeof instance.processRequest === 'function')
      requestHooks.push({ owner, run: instance.processRequest.bind(instance) });
    if (typeof instance.processView === 'function')
      hooks.view.push({ owner, run: instance.processView.bind(instance) });
    if (typeof instance.processTemplateResponse === 'function') {
      hooks.templateResponse.unshift({ owner, run: instance.processTemplateResponse.bind(instance) });
    }
    if (typeof instance.processResponse === 'function')
      responseHooks.unshift({ owner, run: instance.processResponse.bind(instance) });
    if (typeof instance.processException === 'function')
      hooks.exception.unshift({ owner, run: instance.processException.bind(instance) });
  });

  // No hooks at all (the default, empty MIDDLEWARE_CLASSES): the view layer is the whole handler.
  if (requestHooks.length === 0 && responseHooks.length === 0) return viewLayer;

  function* legacySteps(request: HttpRequest): Steps<HttpResponse> {
    let response: HttpResponse | null = null;
    try {
      for (const hook of requestHooks) {
        response = ((yield hook.run(request)) as ResponseOrNothing) ?? null;
        if (response !== null) break;
      }
    } catch (error) {
      // Django's documentation (not its 1.11 code): processException also sees processRequest errors.
      response = (yield offerToExceptionHooks(hooks, request, error, context())) as HttpResponse;
    }
    if (response === null) response = (yield viewLayer(request)) as HttpResponse;
    try {
      for (const hook of responseHooks) {
        const next = (yield hook.run(request, response)) as ResponseOrNothing;
        if (next == null) {
          throw new MissingResponse(
            `${hook.owner}.processResponse didn't return an HttpResponse object. It returned ${String(next)} instead.`,
          );
        }
        response = next;
      }
    } catch (error) {
      // The remaining (earlier) processResponse hooks are skipped and the answer is 500, whatever
      // was thrown: Django's get_response treats this as an uncaught exception.
      response = serverError(request, error, context());
    }
    return response;
  }

  // Synchronous hooks run without a single promise; the first pending one switches to async.
  return (request) => runSteps(legacySteps(request));
}

async function offerToExceptionHooks(
  hooks: ViewLayerHooks,
  request: HttpRequest,
  error: unknown,
  context: ConversionContext,
): Promise<HttpResponse> {
  try {
    return await processExceptionByMiddleware(hooks, request, error);
  } catch (unhandled) {
    return responseForException(request, unhandled, context);
  }
}
