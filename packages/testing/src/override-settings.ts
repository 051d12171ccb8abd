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
    (name) => [name, Object.getOwnPropertyDescriptor(settings, name)] as const,
  );
  // Defined, not assigned: a `__proto__` key (from JSON.parse) is then a setting like any other,
  // where assigning it would replace the prototype of the application's settings for good.
  for (const name of Object.keys(patch)) Object.defineProperty(settings, name, ownSetting(patch[name]));
  try {
    return await fn();
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor !== undefined) Object.defineProperty(settings, name, descriptor);
      else delete settings[name];
    }
  }
}

function ownSetting(value: unknown): PropertyDescriptor {
  return { value, writable: true, enumerable: true, configurable: true };
}
