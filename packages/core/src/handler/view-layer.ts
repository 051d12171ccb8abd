import { bindEventStream } from '../http/event-stream';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { Resolution, UrlResolver } from '../urls/resolver';
import type { View, ViewParams } from '../urls/patterns';
import { missingResponse, responseForException, type ConversionContext } from './exception';
import type { StackHooks } from './hooks';
import { isPromiseLike, markSettled, runSteps, type MaybePromise, type Steps } from './sync';
import type { ResponseOrNothing } from './types';

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
 * What becomes of the answer of a view a runner started, once it settles: the response the handler
 * goes on with (or a promise of one), or an exception. Static functions, given the request.
 */
export interface ViewEnding {
  returned(request: HttpRequest, value: unknown): unknown;
  threw(request: HttpRequest, error: unknown): unknown;
}

const viewEndings = new WeakMap<HttpRequest, ViewEnding>();

/**
 * Called by a view runner (see {@link setViewRunner}) that returns the view's own pending answer:
 * the handler applies `ending` to it when it settles, in the same reaction that goes on with the
 * response. A WebSocket view's answer settles when its connection ends, and each reaction waiting
 * on it is held by every idle connection until then; this saves the runner one of its own.
 */
export function setViewEnding(request: HttpRequest, ending: ViewEnding): void {
  viewEndings.set(request, ending);
}

/** The ending a runner set for the view it just started (taken: it applies once), if any. */
function takeEnding(request: HttpRequest): ViewEnding | undefined {
  const ending = viewEndings.get(request);
  if (ending !== undefined) viewEndings.delete(request);
  return ending;
}

/** What the view's settled answer becomes: `ending`'s result, or the answer itself. */
function endView(
  request: HttpRequest,
  ending: ViewEnding | undefined,
  outcome: unknown,
  threw: boolean,
): unknown {
  if (ending === undefined) {
    if (threw) throw outcome;
    return outcome;
  }
  return threw ? ending.threw(request, outcome) : ending.returned(request, outcome);
}

/** A runner's answer with its ending applied now (where the answer is awaited by steps). */
function withEnding(request: HttpRequest, answer: unknown): unknown {
  const ending = takeEnding(request);
  if (ending === undefined || !isPromiseLike(answer)) return answer;
  return Promise.resolve(answer).then(
    (value) => endView(request, ending, value, false),
    (error: unknown) => endView(request, ending, error, true),
  );
}

/**
 * The innermost handler, shared by both modes (Django's `_get_response`): resolve the URL, run the
 * `processView` hooks, the view (or the request's view runner), the `processException` hooks for a
 * view error, then the `processTemplateResponse` hooks and `render()`. Synchronous as long as every
 * step answered synchronously. Exceptions it does not handle propagate to the caller's conversion,
 * except after a view that answered later: that answer is converted here (`context`), as the
 * caller's wrapper would, and comes as a promise marked settled.
 */
export function createViewLayer(
  resolver: UrlResolver,
  hooks: StackHooks,
  context: () => ConversionContext,
): (request: HttpRequest) => MaybePromise<HttpResponse> {
  /**
   * The view hooks from the one at `index` on, whose answer was `answered` (a response, or a promise
   * of one or of nothing), then the view: the path of a hook that answered or answers later.
   */
  function* viewSteps(
    request: HttpRequest,
    match: Resolution,
    index: number,
    answered: unknown,
  ): Steps<HttpResponse> {
    let response = (yield answered) as ResponseOrNothing;
    if (response != null) return yield* templateSteps(request, response);
    for (let next = index + 1; next < hooks.view.length; next++) {
      response = (yield hooks.view[next]!.run(request, match.view, match.params)) as ResponseOrNothing;
      if (response != null) return yield* templateSteps(request, response);
    }
    const runner = viewRunners.get(request);
    return yield* responseSteps(request, match, () =>
      runner === undefined
        ? match.view(request, match.params)
        : withEnding(request, runner(request, match.view, match.params)),
    );
  }

  /** The view's answer (`callView` calls it, or replays what it did), its exceptions, its template. */
  function* responseSteps(
    request: HttpRequest,
    match: Resolution,
    callView: () => unknown,
  ): Steps<HttpResponse> {
    let response: ResponseOrNothing;
    try {
      response = (yield callView()) as ResponseOrNothing;
    } catch (error) {
      response = yield* offerToExceptionHooks(hooks, request, error);
    }
    if (response == null) throw missingResponse(`The view ${viewName(match.view)}`, response);
    bindEventStream(request, response);
    return yield* templateSteps(request, response);
  }

  function* templateSteps(request: HttpRequest, response: HttpResponse): Steps<HttpResponse> {
    if (!isRenderable(response)) return response;
    for (const hook of hooks.templateResponse) {
      const next = (yield hook.run(request, response)) as ResponseOrNothing;
      if (next == null) throw missingResponse(`${hook.owner}.processTemplateResponse`, next);
      response = next;
    }
    try {
      yield (response as Renderable).render();
    } catch (error) {
      response = yield* offerToExceptionHooks(hooks, request, error);
    }
    return response;
  }

  /** What `steps` answer, an error they throw or reject with converted as the wrapper would. */
  function converted(
    request: HttpRequest,
    steps: () => MaybePromise<HttpResponse>,
  ): MaybePromise<HttpResponse> {
    const convert = (error: unknown): MaybePromise<HttpResponse> =>
      responseForException(request, error, context());
    let answer: MaybePromise<HttpResponse>;
    try {
      answer = steps();
    } catch (error) {
      return convert(error);
    }
    return isPromiseLike(answer) ? Promise.resolve(answer).then(undefined, convert) : answer;
  }

  // Its own function, so the closures the reaction holds capture only what they use.
  function answerLater(
    request: HttpRequest,
    match: Resolution,
    result: PromiseLike<unknown>,
    ending: ViewEnding | undefined,
  ): Promise<HttpResponse> {
    return markSettled(
      Promise.resolve(result).then(
        (value) =>
          converted(request, () =>
            runSteps(responseSteps(request, match, () => endView(request, ending, value, false))),
          ),
        (error: unknown) =>
          converted(request, () =>
            runSteps(responseSteps(request, match, () => endView(request, ending, error, true))),
          ),
      ),
    );
  }

  return function viewLayer(request) {
    const match = resolver.resolve(request.path);
    request.resolverMatch = match;
    // The processView hooks, in a plain loop while each answers nothing at once (the usual case:
    // CSRF's on a GET); the first that answers, or answers later, continues as steps.
    const viewHooks = hooks.view;
    for (let index = 0; index < viewHooks.length; index++) {
      const answer = viewHooks[index]!.run(request, match.view, match.params);
      if (answer != null) return runSteps(viewSteps(request, match, index, answer));
    }
    // The common case costs no generator: no processView hook, and a view that answers at once with a
    // plain response. Anything else replays what the view did into the steps.
    const runner = viewRunners.get(request);
    let result: unknown;
    try {
      result =
        runner === undefined ? match.view(request, match.params) : runner(request, match.view, match.params);
    } catch (error) {
      return runSteps(
        responseSteps(request, match, () => {
          throw error;
        }),
      );
    }
    if (result != null && !isPromiseLike(result) && !isRenderable(result as HttpResponse)) {
      bindEventStream(request, result as HttpResponse);
      return result as HttpResponse;
    }
    if (isPromiseLike(result)) {
      // A view that answers later (a WebSocket view answers when its connection ends) is waited for
      // by one reaction, not by suspended steps, which converts what it does not handle itself: the
      // wrapper around this layer then has nothing to add. What an idle connection holds is that
      // much smaller.
      // Only a runner sets an ending: a plain view's answer costs no lookup.
      return answerLater(request, match, result, runner === undefined ? undefined : takeEnding(request));
    }
    return runSteps(responseSteps(request, match, () => result));
  };
}

/**
 * Offers `error` to the `processException` hooks (C, B, A): the first response wins; when none
 * answers, `error` is thrown on. Runs as steps of the caller's, so synchronous hooks stay synchronous.
 */
export function* offerToExceptionHooks(
  hooks: Pick<StackHooks, 'exception'>,
  request: HttpRequest,
  error: unknown,
): Steps<HttpResponse> {
  for (const hook of hooks.exception) {
    const response = (yield hook.run(request, error)) as ResponseOrNothing;
    if (response != null) return response;
  }
  throw error;
}

type Renderable = HttpResponse & { render(): unknown };

function isRenderable(response: HttpResponse): response is Renderable {
  return typeof (response as { render?: unknown }).render === 'function';
}

/** How error messages name a view: its function name, or its class for a class-based view. */
export function viewName(view: View): string {
  const named = view as View & { viewClass?: { name: string } };
  return named.viewClass?.name ?? (view.name || '<anonymous view>');
}
