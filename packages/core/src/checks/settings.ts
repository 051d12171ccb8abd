import { ImproperlyConfigured } from '../exceptions';
import { KNOWN_SETTINGS, resolveSettings, type Settings } from '../settings';
import { error, warning, type CheckMessage } from './messages';

/** How far (edits) an unknown setting may be from a known one to be reported as a likely typo. */
const TYPO_DISTANCE = 2;

const SETTING_NAME = /^[A-Z][A-Z0-9_]*$/;

/** E001: the settings fail the validation `createApp` runs (`ImproperlyConfigured`). */
export function checkSettingsValid(settings: Settings): CheckMessage[] {
  const found: CheckMessage[] = [];
  try {
    resolveSettings(settings);
  } catch (caught) {
    if (!(caught instanceof ImproperlyConfigured)) throw caught;
    found.push(error('E001', caught.message, 'createApp() throws ImproperlyConfigured with these settings.'));
  }
  return found;
}

/** W002: an UPPER_CASE setting Manouche does not know that is a likely typo of one it does. */
export function checkUnknownSettings(settings: Settings): CheckMessage[] {
  const known = new Set(KNOWN_SETTINGS);
  const found: CheckMessage[] = [];
  for (const key of Object.keys(settings)) {
    if (!SETTING_NAME.test(key) || known.has(key)) continue;
    const suggestion = closest(key, known);
    if (suggestion === null) continue;
    found.push(
      warning(
        'W002',
        `Unknown setting ${key}; did you mean ${suggestion}?`,
        `Rename it to ${suggestion}, or silence manouche.W002 if ${key} is your own setting.`,
      ),
    );
  }
  return found;
}

/** W005: `DEBUG` with `ALLOWED_HOSTS = ['*']` shows tracebacks to anyone who reaches the server. */
export function checkDebugWithAnyHost(settings: Settings): CheckMessage[] {
  const hosts = settings.ALLOWED_HOSTS;
  if (settings.DEBUG !== true || !Array.isArray(hosts) || !hosts.includes('*')) return [];
  return [
    warning(
      'W005',
      "DEBUG is true and ALLOWED_HOSTS is ['*']: error pages with messages and traces are served to any host",
      'Turn DEBUG off outside your machine, or list the host names you serve in ALLOWED_HOSTS.',
    ),
  ];
}

/** W006: an empty `ALLOWED_HOSTS` refuses every request with 400. */
export function checkEmptyAllowedHosts(settings: Settings): CheckMessage[] {
  const hosts = settings.ALLOWED_HOSTS;
  if (!Array.isArray(hosts) || hosts.length > 0) return [];
  return [
    warning(
      'W006',
      'ALLOWED_HOSTS is empty: every request is refused with 400 (DisallowedHost)',
      "List the host names you serve (['localhost', '127.0.0.1'] on your machine), or leave it unset for the local default.",
    ),
  ];
}

/** The known setting nearest to `name`, when within {@link TYPO_DISTANCE} edits. */
function closest(name: string, known: ReadonlySet<string>): string | null {
  let best: string | null = null;
  let bestDistance = TYPO_DISTANCE + 1;
  for (const candidate of known) {
    if (Math.abs(candidate.length - name.length) > TYPO_DISTANCE) continue;
    const distance = levenshtein(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
