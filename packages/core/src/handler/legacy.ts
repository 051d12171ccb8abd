import { MiddlewareNotUsed, MissingResponse } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { responseForException, serverError, type ConversionContext } from './convert';
import { processExceptionByMiddleware } from './view-layer';
import { isPromiseLike } from './promise';
import type {
  BoundHook,
  GetResponse,
  LegacyMiddleware,
  LegacyMiddlewareClass,
  ViewLayerHooks,
} from './types';

/**
 * Builds the `MIDDLEWARE_CLASSES` handler once (Django 1.11's `_legacy_get_response` plus the response
 * loop of `get_response`). Fills `hooks` with the view-level hooks and returns the request handler.
 */
export function buildLegacy(
  classes: readonly LegacyMiddlewareClass[],
  viewLayer: GetResponse,
  hooks: ViewLayerHooks,
  context: () => ConversionContext,
): GetResponse {
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

  return async function legacyHandler(request) {
    let response: HttpResponse | null = null;
    try {
      for (const hook of requestHooks) {
        const answer = hook.run(request);
        response = (isPromiseLike(answer) ? await answer : answer) ?? null;
        if (response !== null) break;
      }
    } catch (error) {
      // Django's documentation (not its 1.11 code): processException also sees processRequest errors.
      response = await offerToExceptionHooks(hooks, request, error, context());
    }
    if (response === null) response = await viewLayer(request);
    try {
      for (const hook of responseHooks) {
        const answer = hook.run(request, response);
        const next = isPromiseLike(answer) ? await answer : answer;
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
  };
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
