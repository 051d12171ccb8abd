import { MissingResponse } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { Resolution, UrlResolver } from '../urls/resolver';
import type { View, ViewParams } from '../urls/patterns';
import type { MaybePromise, ResponseOrNothing, ViewLayerHooks } from './types';
import { isPromiseLike } from './promise';

/** Runs a view in its place: called with the view and its parameters, answers for it. */
export type ViewRunner = (
  request: HttpRequest,
  view: View,
  params: ViewParams,
) => MaybePromise<ResponseOrNothing>;

// Per request, and only for the few that set one: a WeakMap keeps HttpRequest's shape fixed and lets
// the request go without anyone having to forget it.
const viewRunners = new WeakMap<HttpRequest, ViewRunner>();

/**
 * Makes the handler call `runner(request, view, params)` instead of the view, after every
 * `processRequest`/`processView` and immediately before the view body would start. The WebSocket
 * middleware performs the handshake there.
 */
export function setViewRunner(request: HttpRequest, runner: ViewRunner): void {
  viewRunners.set(request, runner);
}

/**
 * The innermost handler, shared by both modes (Django's `_get_response`): resolve the URL, run the
 * `processView` hooks, the view, the `processException` hooks for a view error, then the
 * `processTemplateResponse` hooks and `render()`. Exceptions it does not handle propagate to the
 * caller's conversion wrapper.
 */
export function createViewLayer(
  resolver: UrlResolver,
  hooks: ViewLayerHooks,
): (request: HttpRequest) => MaybePromise<HttpResponse> {
  /** What the view did when the fast path already called it. */
  type Outcome = { threw: false; result: unknown } | { threw: true; error: unknown };

  async function viewLayerAsync(
    request: HttpRequest,
    match: Resolution,
    outcome: Outcome | null,
  ): Promise<HttpResponse> {
    let response: HttpResponse | null | undefined | void = null;
    if (outcome === null) {
      for (const hook of hooks.view) {
        const answer = hook.run(request, match.view, match.params);
        response = isPromiseLike(answer) ? await answer : answer;
        if (response != null) break;
      }
    }
    if (response == null) {
      try {
        if (outcome !== null && outcome.threw) throw outcome.error;
        const runner = viewRunners.get(request);
        const result =
          outcome !== null
            ? outcome.result
            : runner === undefined
              ? match.view(request, match.params)
              : runner(request, match.view, match.params);
        response = (isPromiseLike(result) ? await result : result) as HttpResponse | null | undefined;
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
  }

  return function viewLayer(request) {
    const match = resolver.resolve(request.path);
    request.resolverMatch = match;
    if (hooks.view.length > 0 || viewRunners.has(request)) return viewLayerAsync(request, match, null);
    // The common case, kept synchronous: no processView hook, no view runner, and a view that answers
    // at once with a plain response. Anything else continues on the asynchronous path, unchanged.
    let result: unknown;
    try {
      result = match.view(request, match.params);
    } catch (error) {
      return viewLayerAsync(request, match, { threw: true, error });
    }
    if (
      result == null ||
      isPromiseLike(result) ||
      typeof (result as { render?: unknown }).render === 'function'
    ) {
      return viewLayerAsync(request, match, { threw: false, result });
    }
    return result as HttpResponse;
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
