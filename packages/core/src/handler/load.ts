import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { ResolvedSettings } from '../settings';
import type { UrlResolver } from '../urls/resolver';
import { convertExceptionToResponse, responseForException, type ConversionContext } from './exception';
import { emptyHooks } from './hooks';
import { buildLegacy } from './legacy';
import { buildOnion } from './onion';
import { heldResponse, isPromiseLike, isSettled, type MaybePromise } from './sync';
import { createViewLayer } from './view-layer';

/** Which of Django's two stacks a settings object selects. */
export type MiddlewareMode = 'MIDDLEWARE' | 'MIDDLEWARE_CLASSES';

/** `MIDDLEWARE` wins whenever it is set (not `undefined`/`null`), as in Django 1.10+. */
export function middlewareMode(settings: ResolvedSettings): MiddlewareMode {
  return settings.MIDDLEWARE === undefined || settings.MIDDLEWARE === null
    ? 'MIDDLEWARE_CLASSES'
    : 'MIDDLEWARE';
}

/** Runs one request through the loaded stack. Never throws, never rejects. */
export type RequestHandler = (request: HttpRequest) => MaybePromise<HttpResponse>;

/**
 * Loads the middleware stack once (Django's `BaseHandler.load_middleware`) and returns the function
 * that runs one request through it. That function never throws or rejects, and answers synchronously
 * whenever the stack did: every hook synchronous, or (in `MIDDLEWARE`, whose `getResponse` always
 * returns a promise) layers that handed back a promise of a response already in hand.
 */
export function loadMiddleware(
  settings: ResolvedSettings,
  resolver: UrlResolver,
  context: () => ConversionContext,
): RequestHandler {
  const hooks = emptyHooks();
  const viewLayer = createViewLayer(resolver, hooks, context);
  const stack =
    middlewareMode(settings) === 'MIDDLEWARE'
      ? buildOnion(settings.MIDDLEWARE!, viewLayer, hooks, context)
      : buildLegacy(
          settings.MIDDLEWARE_CLASSES,
          convertExceptionToResponse(viewLayer, 'The view layer', context, false),
          hooks,
          context,
        );
  return function handle(request) {
    const answer = stack(request);
    if (!isPromiseLike(answer)) return answer;
    // A promise made from a response already in hand: answer with that response now.
    const held = heldResponse(answer);
    if (held !== null) return held;
    // The outermost layer's own promise never rejects: nothing to add (a WebSocket's request waits
    // on it as long as the connection lives, so each layer of promises costs every idle connection).
    const neverRejects: boolean = isSettled(answer);
    if (neverRejects) return answer;
    // Every layer converts its own errors; a rejection here would be a bug, still answered (500).
    return answer.then(undefined, (error: unknown) => responseForException(request, error, context()));
  };
}
