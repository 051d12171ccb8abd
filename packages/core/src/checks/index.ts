import type { Settings } from '../settings';
import { CHECK_ID_PREFIX, type Check, type CheckMessage } from './messages';
import {
  checkBothMiddlewareSettings,
  checkDuplicateMiddleware,
  checkLegacyMiddlewareHasHooks,
  checkMiddlewareHasCall,
  checkSessionsHaveSecretKey,
} from './middleware';
import {
  checkDebugWithAnyHost,
  checkEmptyAllowedHosts,
  checkSettingsValid,
  checkUnknownSettings,
} from './settings';
import {
  checkAuthenticationAfterSessions,
  checkCsrfSessionsAfterSessions,
  checkMessagesAfterSessions,
} from './sessions';
import { checkDuplicateUrlNames, checkErrorViewSignatures, checkUrlConfCompiles } from './urls';
import { checkWebsocketMiddleware } from './websocket';

export type { CheckLevel, CheckMessage } from './messages';

/** Every check, in the order they run. One file per area: settings, middleware, sessions, websocket, urls. */
const CHECKS: readonly Check[] = [
  checkSettingsValid,
  checkUnknownSettings,
  checkDebugWithAnyHost,
  checkEmptyAllowedHosts,
  checkBothMiddlewareSettings,
  checkMiddlewareHasCall,
  checkLegacyMiddlewareHasHooks,
  checkSessionsHaveSecretKey,
  checkAuthenticationAfterSessions,
  checkMessagesAfterSessions,
  checkCsrfSessionsAfterSessions,
  checkDuplicateMiddleware,
  checkWebsocketMiddleware,
  checkUrlConfCompiles,
  checkDuplicateUrlNames,
  checkErrorViewSignatures,
];

/** What {@link collectChecks} found: the messages to show and how many were silenced. */
export interface CheckReport {
  messages: CheckMessage[];
  silenced: number;
}

/**
 * Runs every check against `settings` (as written, before `createApp`; invalid settings are
 * reported, never thrown) and splits off the ids listed in `SILENCED_SYSTEM_CHECKS`.
 */
export function collectChecks(settings: Settings): CheckReport {
  // Nothing else can be read from a non-object; E001 says so.
  if (typeof settings !== 'object' || settings === null)
    return { messages: checkSettingsValid(settings), silenced: 0 };
  const all = CHECKS.flatMap((check) => check(settings));
  const silencedIds = silencedChecks(settings);
  const messages = all.filter((message) => !silencedIds.has(message.id));
  return { messages, silenced: all.length - messages.length };
}

/**
 * Django's system checks for a settings object: errors (`createApp` would throw, or the app cannot
 * work) and warnings (likely mistakes). `SILENCED_SYSTEM_CHECKS` ids are left out.
 */
export function runChecks(settings: Settings): CheckMessage[] {
  return collectChecks(settings).messages;
}

function silencedChecks(settings: Settings): Set<string> {
  const ids = settings.SILENCED_SYSTEM_CHECKS;
  if (!Array.isArray(ids)) return new Set();
  // Django's full id (`manouche.W002`) or the bare code (`W002`).
  return new Set(
    ids
      .filter((id): id is string => typeof id === 'string')
      .map((id) => (id.startsWith(CHECK_ID_PREFIX) ? id : `${CHECK_ID_PREFIX}${id}`)),
  );
}
