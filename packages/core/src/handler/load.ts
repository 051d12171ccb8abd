import type { ResolvedSettings } from '../settings';
import type { UrlResolver } from '../urls/resolver';
import type { ConversionContext } from './convert';
import { buildLegacy } from './legacy';
import { buildOnion } from './onion';
import { settleLayer, type SettledLayer } from './settle';
import type { ViewLayerHooks } from './types';
import { createViewLayer } from './view-layer';

/** Which of Django's two stacks a settings object selects. */
export type MiddlewareMode = 'MIDDLEWARE' | 'MIDDLEWARE_CLASSES';

/** `MIDDLEWARE` wins whenever it is set (not `undefined`/`null`), as in Django 1.10+. */
export function middlewareMode(settings: ResolvedSettings): MiddlewareMode {
  return settings.MIDDLEWARE === undefined || settings.MIDDLEWARE === null
    ? 'MIDDLEWARE_CLASSES'
    : 'MIDDLEWARE';
}

/**
 * Loads the middleware stack once (Django's `BaseHandler.load_middleware`) and returns the function
 * that runs one request through it. The returned function never throws or rejects; it answers
 * synchronously when every hook on the way did (possible in `MIDDLEWARE_CLASSES` mode only: the
 * onion's `getResponse` always returns a promise).
 */
export function loadMiddleware(
  settings: ResolvedSettings,
  resolver: UrlResolver,
  context: () => ConversionContext,
): SettledLayer {
  const hooks: ViewLayerHooks = { view: [], templateResponse: [], exception: [] };
  const viewLayer = createViewLayer(resolver, hooks);
  if (middlewareMode(settings) === 'MIDDLEWARE')
    return buildOnion(settings.MIDDLEWARE!, viewLayer, hooks, context);
  return buildLegacy(
    settings.MIDDLEWARE_CLASSES,
    settleLayer(viewLayer, 'The view layer', context),
    hooks,
    context,
  );
}
