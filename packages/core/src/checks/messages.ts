import type { Settings } from '../settings';

/** How serious a check's finding is: an error stops `runserver`; a warning is only printed. */
export type CheckLevel = 'error' | 'warning';

/** One finding of `manouche check`, Django's `CheckMessage`. */
export interface CheckMessage {
  level: CheckLevel;
  /** Stable id, `manouche.E001`; list it in `SILENCED_SYSTEM_CHECKS` to silence it. */
  id: string;
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** A check: reads the settings (as written, possibly invalid) and reports what it finds. */
export type Check = (settings: Settings) => CheckMessage[];

/** The prefix of every id, like Django's `security.` or `urls.`. */
export const CHECK_ID_PREFIX = 'manouche.';

/** An error finding (`code` is `E001`...). */
export function error(code: string, message: string, hint?: string): CheckMessage {
  return finding('error', code, message, hint);
}

/** A warning finding (`code` is `W001`...). */
export function warning(code: string, message: string, hint?: string): CheckMessage {
  return finding('warning', code, message, hint);
}

function finding(level: CheckLevel, code: string, message: string, hint: string | undefined): CheckMessage {
  const found: CheckMessage = { level, id: `${CHECK_ID_PREFIX}${code}`, message };
  if (hint !== undefined) found.hint = hint;
  return found;
}

/** The name to show for a class or function in a message. */
export function nameOf(entry: unknown): string {
  if (typeof entry === 'function' && entry.name) return entry.name;
  if (typeof entry === 'function') return '(anonymous)';
  try {
    return String(entry);
  } catch {
    // An object without a prototype (or with a throwing toString) has no string form of its own.
    return Object.prototype.toString.call(entry);
  }
}

/**
 * True when `entry` is the class called `name` or a subclass of it. Matching by name keeps core free
 * of imports from other packages (`WebSocketMiddleware` lives in `@manouche/websocket`).
 */
export function isClassNamed(entry: unknown, name: string): boolean {
  let current: unknown = entry;
  while (typeof current === 'function' && current !== Function.prototype) {
    if ((current as { name?: unknown }).name === name) return true;
    current = Object.getPrototypeOf(current);
  }
  return false;
}
