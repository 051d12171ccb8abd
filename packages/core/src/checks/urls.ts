import type { Settings } from '../settings';
import { UrlResolver } from '../urls/resolver';
import { isUrlConf } from '../urls/patterns';
import { error, warning, type CheckMessage } from './messages';

/** E004: `ROOT_URLCONF` does not compile (a bad entry, route or converter); `createApp` would throw. */
export function checkUrlConfCompiles(settings: Settings): CheckMessage[] {
  if (!isUrlConf(settings.ROOT_URLCONF)) return []; // E001 reports a missing or mistyped conf.
  try {
    new UrlResolver(settings.ROOT_URLCONF);
    return [];
  } catch (caught) {
    const message = caught instanceof Error ? caught.message : String(caught);
    return [error('E004', `ROOT_URLCONF does not compile: ${message}`, 'createApp() throws this error.')];
  }
}

/** W003: a URL name used by more than one route; `reverse()` only ever finds the first that fits. */
export function checkDuplicateUrlNames(settings: Settings): CheckMessage[] {
  if (!isUrlConf(settings.ROOT_URLCONF)) return [];
  let resolver: UrlResolver;
  try {
    resolver = new UrlResolver(settings.ROOT_URLCONF);
  } catch {
    return []; // E004.
  }
  const byName = new Map<string, string[]>();
  for (const route of resolver.routes) {
    if (route.name === null) continue;
    const routes = byName.get(route.name);
    if (routes) routes.push(route.route);
    else byName.set(route.name, [route.route]);
  }
  return [...byName]
    .filter(([, routes]) => routes.length > 1)
    .map(([name, routes]) =>
      warning(
        'W003',
        `The URL name '${name}' is used by ${routes.length} routes: ${routes.map((route) => `'${route}'`).join(', ')}`,
        `reverse('${name}') returns the first route whose parameters fit; give each route its own name unless that is intended.`,
      ),
    );
}
