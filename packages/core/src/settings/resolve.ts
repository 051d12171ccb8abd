import { ImproperlyConfigured } from '../exceptions';
import { SPECS, type ResolvedSettings, type SettingSpec } from './table';
import type { Settings } from './types';

/**
 * Checks every known setting's type and fills in the defaults. Throws {@link ImproperlyConfigured}
 * naming the first bad setting and what it should be.
 */
export function resolveSettings(settings: Settings): ResolvedSettings {
  if (typeof settings !== 'object' || settings === null) {
    throw new ImproperlyConfigured('createApp() needs a settings object');
  }
  if (settings.ROOT_URLCONF === undefined) {
    throw new ImproperlyConfigured(
      'The ROOT_URLCONF setting is required: an array of path()/include() entries',
    );
  }
  const resolved: Record<string, unknown> = { ...settings };
  for (const [name, spec] of Object.entries(SPECS) as Array<[string, SettingSpec<unknown>]>) {
    const value = resolved[name];
    if (value === undefined) {
      if (spec.default !== undefined) resolved[name] = structuredCloneDefault(spec.default);
      continue;
    }
    if (!spec.check(value)) {
      throw new ImproperlyConfigured(`The ${name} setting must be ${spec.expected}; got ${describe(value)}`);
    }
  }
  const middleware = resolved.MIDDLEWARE as unknown[] | null | undefined;
  const legacy = resolved.MIDDLEWARE_CLASSES as unknown[];
  if (middleware && middleware.length > 0 && legacy.length > 0) {
    throw new ImproperlyConfigured(
      'MIDDLEWARE and MIDDLEWARE_CLASSES are both set: remove one (MIDDLEWARE wins in Django 1.10+, so MIDDLEWARE_CLASSES would be ignored)',
    );
  }
  const headersTimeout = resolved.REQUEST_HEADERS_TIMEOUT as number;
  const requestTimeout = resolved.REQUEST_TIMEOUT as number;
  if (headersTimeout > 0 && requestTimeout > 0 && headersTimeout > requestTimeout) {
    // Node's server refuses it too: the head is part of the request the longer timeout covers.
    throw new ImproperlyConfigured(
      `REQUEST_HEADERS_TIMEOUT (${headersTimeout} ms) must not exceed REQUEST_TIMEOUT (${requestTimeout} ms), which covers the whole request`,
    );
  }
  // A fresh copy: the object built key by key above is left in V8's slow dictionary mode, and these
  // settings are read on every request.
  return { ...resolved } as ResolvedSettings;
}

function structuredCloneDefault(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  return typeof value === 'object' && value !== null ? { ...value } : value;
}

/**
 * The value of a bad setting, for the error message. Objects and functions are described, never
 * converted with `String()`: one without a prototype, or with a `toString` that is not a function,
 * would throw a TypeError in place of the `ImproperlyConfigured` that names the setting.
 */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.map((item) => typeof item).join(', ') || 'empty'})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === null) return 'an object without a prototype';
    return prototype === Object.prototype
      ? 'an object'
      : `an object (${Object.prototype.toString.call(value)})`;
  }
  return `${typeof value} ${String(value)}`.slice(0, 80);
}
