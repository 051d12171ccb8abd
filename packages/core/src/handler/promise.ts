/**
 * Whether `value` is a promise (or any thenable). Hooks may answer synchronously; awaiting only what
 * is really pending keeps a stack of synchronous middleware from paying a microtask per hook.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
