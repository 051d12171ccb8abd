import { MissingResponse } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { UrlResolver } from '../urls/resolver';
import type { View } from '../urls/patterns';
import type { ViewLayerHooks } from './types';
import { isPromiseLike } from './promise';

/**
 * The innermost handler, shared by both modes (Django's `_get_response`): resolve the URL, run the
 * `processView` hooks, the view, the `processException` hooks for a view error, then the
 * `processTemplateResponse` hooks and `render()`. Exceptions it does not handle propagate to the
 * caller's conversion wrapper.
 */
export function createViewLayer(
  resolver: UrlResolver,
  hooks: ViewLayerHooks,
): (request: HttpRequest) => Promise<HttpResponse> {
  return async function viewLayer(request) {
    const match = resolver.resolve(request.path);
    request.resolverMatch = match;
    let response: HttpResponse | null | undefined | void = null;
    for (const hook of hooks.view) {
      const answer = hook.run(request, match.view, match.params);
      response = isPromiseLike(answer) ? await answer : answer;
      if (response != null) break;
    }
    if (response == null) {
      // An upgrade request may carry a view runner (the WebSocket middleware's): it performs the
      // handshake here, after every processView and immediately before the view body.
      const runner = request.upgrade?.viewRunner ?? null;
      try {
        const result =
          runner === null ? match.view(request, match.params) : runner(request, match.view, match.params);
        response = isPromiseLike(result) ? await result : result;
      } catch (error) {
        response = await processExceptionByMiddleware(hooks, request, error);
      }
      if (response == null) {
        throw new MissingResponse(
          `The view ${viewName(match.view)} didn't return an HttpResponse object. It returned ${String(response)} instead.`,
        );
      }
    }
    if (typeof (response as { render?: unknown }).render === 'function') {
      for (const hook of hooks.templateResponse) {
        const answer = hook.run(request, response);
        const next: HttpResponse | null | undefined | void = isPromiseLike(answer) ? await answer : answer;
        if (next == null) {
          throw new MissingResponse(
            `${hook.owner}.processTemplateResponse didn't return an HttpResponse object. It returned ${String(next)} instead.`,
          );
        }
        response = next;
      }
      try {
        await (response as HttpResponse & { render(): Promise<unknown> }).render();
      } catch (error) {
        response = await processExceptionByMiddleware(hooks, request, error);
      }
    }
    return response;
  };
}

/** Offers `error` to the `processException` hooks (C, B, A); the first response wins, else rethrow. */
export async function processExceptionByMiddleware(
  hooks: Pick<ViewLayerHooks, 'exception'>,
  request: HttpRequest,
  error: unknown,
): Promise<HttpResponse> {
  for (const hook of hooks.exception) {
    const response = await hook.run(request, error);
    if (response != null) return response;
  }
  throw error;
}

/** How error messages name a view: its function name, or its class for a class-based view. */
export function viewName(view: View): string {
  const named = view as View & { viewClass?: { name: string } };
  return named.viewClass?.name ?? (view.name || '<anonymous view>');
}
