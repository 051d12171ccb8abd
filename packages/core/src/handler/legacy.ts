import { MiddlewareNotUsed } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import {
  missingResponse,
  responseForException,
  serverError,
  type ConversionContext,
  type SettledLayer,
} from './exception';
import { collectHooks, type StackHooks, type StackMember } from './hooks';
import { runSteps, type Steps } from './sync';
import type { LegacyMiddleware, LegacyMiddlewareClass, ResponseOrNothing } from './types';
import { offerToExceptionHooks } from './view-layer';

/**
 * Builds the `MIDDLEWARE_CLASSES` handler once (Django 1.11's `_legacy_get_response` plus the response
 * loop of `get_response`): constructs the classes in list order, fills `hooks`, and returns the
 * function that runs one request through them.
 */
export function buildLegacy(
  classes: readonly LegacyMiddlewareClass[],
  viewLayer: SettledLayer,
  hooks: StackHooks,
  context: () => ConversionContext,
): SettledLayer {
  const members: StackMember[] = [];
  classes.forEach((MiddlewareClass, index) => {
    let instance: LegacyMiddleware;
    try {
      instance = new MiddlewareClass();
    } catch (error) {
      if (error instanceof MiddlewareNotUsed) return;
      throw error;
    }
    members.push({ owner: MiddlewareClass.name || `MIDDLEWARE_CLASSES[${index}]`, instance });
  });
  collectHooks(members, hooks, 'all');

  // No hooks at all (the default, empty MIDDLEWARE_CLASSES): the view layer is the whole handler.
  if (hooks.request.length === 0 && hooks.response.length === 0) return viewLayer;

  function* legacySteps(request: HttpRequest): Steps<HttpResponse> {
    let response: HttpResponse | null = null;
    try {
      for (const hook of hooks.request) {
        response = ((yield hook.run(request)) as ResponseOrNothing) ?? null;
        if (response !== null) break;
      }
    } catch (error) {
      // Django's documentation (not its 1.11 code): processException also sees processRequest errors.
      try {
        response = yield* offerToExceptionHooks(hooks, request, error);
      } catch (unhandled) {
        response = (yield responseForException(request, unhandled, context())) as HttpResponse;
      }
    }
    if (response === null) response = (yield viewLayer(request)) as HttpResponse;
    try {
      for (const hook of hooks.response) {
        const next = (yield hook.run(request, response)) as ResponseOrNothing;
        if (next == null) throw missingResponse(`${hook.owner}.processResponse`, next);
        response = next;
      }
    } catch (error) {
      // The remaining (earlier) processResponse hooks are skipped and the answer is 500, whatever
      // was thrown: Django's get_response treats this as an uncaught exception.
      response = (yield serverError(request, error, context())) as HttpResponse;
    }
    return response;
  }

  // Synchronous hooks run without a single promise; the first pending one switches to async.
  return (request) => runSteps(legacySteps(request));
}
