import type { Settings } from '../settings';
import { UrlResolver } from '../urls/resolver';
import { isUrlConf, type UrlConfModule } from '../urls/patterns';
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

/**
 * E009: a custom error view of the root URL conf module that requires more parameters than it is
 * given (Django's urls.E007): `(request, exception)` for `handler400/403/404`, `(request)` for
 * `handler500`. Extra parameters would be `undefined` on every error page.
 */
export function checkErrorViewSignatures(settings: Settings): CheckMessage[] {
  const conf = settings.ROOT_URLCONF;
  if (!isUrlConf(conf) || Array.isArray(conf)) return [];
  const module = conf as UrlConfModule;
  const views = [
    ['handler400', module.handler400, 2],
    ['handler403', module.handler403, 2],
    ['handler404', module.handler404, 2],
    ['handler500', module.handler500, 1],
  ] as const;
  return views
    .filter(([, view, given]) => typeof view === 'function' && view.length > given)
    .map(([name, view, given]) =>
      error(
        'E009',
        `The custom ${name} view ${view!.name || '(anonymous)'} takes ${view!.length} parameters; it is called with ${given === 2 ? '(request, exception)' : '(request)'}`,
        `Make ${name} take ${given === 2 ? '(request, exception)' : '(request)'}, as Django's ${name} does.`,
      ),
    );
}
