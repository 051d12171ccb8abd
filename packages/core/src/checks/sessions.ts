import type { Settings } from '../settings';
import { activeMiddleware } from './middleware';
import { error, isClassNamed, nameOf, type CheckMessage } from './messages';

// Middleware that read request.session in their request phase: without SessionMiddleware before them,
// every request is a 500 (ImproperlyConfigured), as Django's assertions make it.

/** E006: `AuthenticationMiddleware` without `SessionMiddleware` before it. */
export function checkAuthenticationAfterSessions(settings: Settings): CheckMessage[] {
  return needsSessionsBefore(
    settings,
    'AuthenticationMiddleware',
    'E006',
    'request.user is read from the session',
  );
}

/**
 * E007: `MessageMiddleware` with a storage that keeps messages in the session (`FallbackStorage`, the
 * default, or `SessionStorage`) without `SessionMiddleware` before it.
 */
export function checkMessagesAfterSessions(settings: Settings): CheckMessage[] {
  const storage = settings.MESSAGE_STORAGE ?? null;
  const usesSession =
    storage === null || isClassNamed(storage, 'FallbackStorage') || isClassNamed(storage, 'SessionStorage');
  if (!usesSession) return [];
  return needsSessionsBefore(
    settings,
    'MessageMiddleware',
    'E007',
    `its storage (${storage === null ? 'FallbackStorage, the default' : nameOf(storage)}) keeps messages in the session`,
  );
}

/** E008: `CSRF_USE_SESSIONS` with `CsrfViewMiddleware` and no `SessionMiddleware` before it. */
export function checkCsrfSessionsAfterSessions(settings: Settings): CheckMessage[] {
  if (settings.CSRF_USE_SESSIONS !== true) return [];
  return needsSessionsBefore(
    settings,
    'CsrfViewMiddleware',
    'E008',
    'CSRF_USE_SESSIONS keeps the CSRF secret in the session',
  );
}

function needsSessionsBefore(settings: Settings, name: string, code: string, why: string): CheckMessage[] {
  const { setting, entries } = activeMiddleware(settings);
  const at = entries.findIndex((entry) => isClassNamed(entry, name));
  if (at === -1) return [];
  if (entries.slice(0, at).some((entry) => isClassNamed(entry, 'SessionMiddleware'))) return [];
  const sessionsAfter = entries.slice(at + 1).some((entry) => isClassNamed(entry, 'SessionMiddleware'));
  return [
    error(
      code,
      `${nameOf(entries[at])} is in ${setting} ${sessionsAfter ? 'before' : 'without'} SessionMiddleware, but ${why}: every request fails with 500`,
      `Insert SessionMiddleware before ${nameOf(entries[at])} in ${setting}.`,
    ),
  ];
}
