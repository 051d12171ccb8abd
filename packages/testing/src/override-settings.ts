import { ImproperlyConfigured, type Application, type Settings } from '@manouche/core';

/** Settings loaded once by `createApp`: overriding them would silently do nothing. */
const LOADED_AT_CREATION = ['ROOT_URLCONF', 'MIDDLEWARE', 'MIDDLEWARE_CLASSES', 'TEMPLATES'];

/**
 * Django's `override_settings`: runs `fn` with `patch` applied to `app.settings`, then restores them
 * (even when `fn` throws), and resolves to `fn`'s result. Settings read at request time (`DEBUG`,
 * `ALLOWED_HOSTS`, `WEBSOCKET_ACCEPT_ALL`...) see the patch. `ROOT_URLCONF`, the middleware lists and
 * `TEMPLATES` are loaded once by `createApp`: overriding them throws; create another app instead.
 */
export async function overrideSettings<T>(
  app: Application,
  patch: Partial<Settings>,
  fn: () => T | Promise<T>,
): Promise<T> {
  const loaded = Object.keys(patch).filter((name) => LOADED_AT_CREATION.includes(name));
  if (loaded.length > 0) {
    throw new ImproperlyConfigured(
      `overrideSettings can't change ${loaded.join(', ')}: they are loaded once by createApp(); create another application`,
    );
  }
  const settings = app.settings as Record<string, unknown>;
  const saved = Object.keys(patch).map(
    (name) => [name, Object.prototype.hasOwnProperty.call(settings, name), settings[name]] as const,
  );
  Object.assign(settings, patch);
  try {
    return await fn();
  } finally {
    for (const [name, had, value] of saved) {
      if (had) settings[name] = value;
      else delete settings[name];
    }
  }
}
