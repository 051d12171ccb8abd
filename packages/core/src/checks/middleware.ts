import { isClass } from '../handler/onion';
import type { Settings } from '../settings';
import { error, isClassNamed, nameOf, warning, type CheckMessage } from './messages';

/** The hooks a `MIDDLEWARE_CLASSES` entry may define; one with none of them does nothing. */
const LEGACY_HOOKS = [
  'processRequest',
  'processView',
  'processTemplateResponse',
  'processResponse',
  'processException',
] as const;

/** The stack the settings select, as `createApp` would pick it, and its entries (functions only). */
export interface ActiveMiddleware {
  setting: 'MIDDLEWARE' | 'MIDDLEWARE_CLASSES';
  entries: unknown[];
}

/** `MIDDLEWARE` whenever it is set (not `undefined`/`null`), else `MIDDLEWARE_CLASSES`. */
export function activeMiddleware(settings: Settings): ActiveMiddleware {
  const modern = settings.MIDDLEWARE;
  if (modern !== undefined && modern !== null)
    return { setting: 'MIDDLEWARE', entries: Array.isArray(modern) ? [...modern] : [] };
  const legacy = settings.MIDDLEWARE_CLASSES;
  return { setting: 'MIDDLEWARE_CLASSES', entries: Array.isArray(legacy) ? [...legacy] : [] };
}

/** W001: `MIDDLEWARE` is set, so a non-empty `MIDDLEWARE_CLASSES` is ignored (even when `MIDDLEWARE` is empty). */
export function checkBothMiddlewareSettings(settings: Settings): CheckMessage[] {
  const modern = settings.MIDDLEWARE;
  const legacy = settings.MIDDLEWARE_CLASSES;
  if (modern === undefined || modern === null || !Array.isArray(legacy) || legacy.length === 0) return [];
  return [
    warning(
      'W001',
      'MIDDLEWARE and MIDDLEWARE_CLASSES are both set: MIDDLEWARE wins (as in Django 1.10+), so MIDDLEWARE_CLASSES is ignored',
      'Remove MIDDLEWARE_CLASSES, or remove MIDDLEWARE (or set it to null) to use the legacy stack.',
    ),
  ];
}

/** E003: a class in `MIDDLEWARE` without `call(request)`; `createApp` would refuse it. */
export function checkMiddlewareHasCall(settings: Settings): CheckMessage[] {
  const active = activeMiddleware(settings);
  if (active.setting !== 'MIDDLEWARE') return [];
  return active.entries
    .filter((entry) => isClass(entry) && typeof prototypeOf(entry)?.call !== 'function')
    .map((entry) =>
      error(
        'E003',
        `${nameOf(entry)} in MIDDLEWARE has no call(request) method`,
        'Extend MiddlewareMixin, add call(request), or move it to MIDDLEWARE_CLASSES if it is a legacy middleware.',
      ),
    );
}

/** W004: a class in `MIDDLEWARE_CLASSES` that defines none of the legacy hooks, so it does nothing. */
export function checkLegacyMiddlewareHasHooks(settings: Settings): CheckMessage[] {
  const active = activeMiddleware(settings);
  if (active.setting !== 'MIDDLEWARE_CLASSES') return [];
  return active.entries
    .filter((entry) => {
      const prototype = prototypeOf(entry);
      return prototype === null || LEGACY_HOOKS.every((hook) => typeof prototype[hook] !== 'function');
    })
    .map((entry) =>
      warning(
        'W004',
        `${nameOf(entry)} in MIDDLEWARE_CLASSES defines no hook (${LEGACY_HOOKS.join(', ')}), so it does nothing`,
        'Define processRequest/processResponse (or another hook), or move a new-style middleware to MIDDLEWARE.',
      ),
    );
}

/** E005: `SessionMiddleware` is active but `SECRET_KEY` is unset, so saving a session fails with 500. */
export function checkSessionsHaveSecretKey(settings: Settings): CheckMessage[] {
  const secret = settings.SECRET_KEY;
  if (typeof secret === 'string' && secret.length > 0) return [];
  const sessions = activeMiddleware(settings).entries.find((entry) =>
    isClassNamed(entry, 'SessionMiddleware'),
  );
  if (sessions === undefined) return [];
  return [
    error(
      'E005',
      `${nameOf(sessions)} is in ${activeMiddleware(settings).setting} but SECRET_KEY is not set: session cookies are signed with it, so requests that use the session fail with 500`,
      'Set SECRET_KEY to a long random string (read it from the environment; keep it out of version control).',
    ),
  ];
}

/** W007: the same middleware listed twice in the active stack runs twice per request. */
export function checkDuplicateMiddleware(settings: Settings): CheckMessage[] {
  const active = activeMiddleware(settings);
  const seen = new Set<unknown>();
  const reported = new Set<unknown>();
  const found: CheckMessage[] = [];
  for (const entry of active.entries) {
    if (seen.has(entry) && !reported.has(entry)) {
      reported.add(entry);
      found.push(
        warning(
          'W007',
          `${nameOf(entry)} is listed more than once in ${active.setting}, so it runs more than once per request`,
          'Remove the extra entry.',
        ),
      );
    }
    seen.add(entry);
  }
  return found;
}

function prototypeOf(entry: unknown): Record<string, unknown> | null {
  if (typeof entry !== 'function') return null;
  const prototype: unknown = (entry as { prototype?: unknown }).prototype;
  return typeof prototype === 'object' && prototype !== null ? (prototype as Record<string, unknown>) : null;
}
