import type { HttpResponse } from '../http/response';

/** A value or a promise of it: every hook may be sync or async. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whether `value` is a promise (or any thenable). Hooks may answer synchronously; awaiting only what
 * is really pending keeps a stack of synchronous middleware from paying a microtask per hook.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Steps written once for hooks that may answer synchronously or with a promise: the generator
 * `yield`s each hook's answer and receives it settled (a rejection is thrown at the `yield`).
 */
export type Steps<T> = Generator<unknown, T, unknown>;

/**
 * Runs `steps` synchronously for as long as every yielded value is a plain value, and returns the
 * result as is; from the first pending promise on it continues asynchronously and returns a promise.
 * A stack of synchronous hooks therefore costs no microtask and no promise at all, while the same
 * code still handles asynchronous hooks (the idea of `co`, without forcing the asynchronous path).
 * An exception the steps do not catch is thrown (synchronous part) or rejects (asynchronous part).
 */
export function runSteps<T>(steps: Steps<T>): MaybePromise<T> {
  let step = steps.next();
  while (!step.done) {
    const value = step.value;
    if (isPromiseLike(value)) return continueSteps(steps, value);
    step = steps.next(value);
  }
  return step.value;
}

async function continueSteps<T>(steps: Steps<T>, pending: PromiseLike<unknown>): Promise<T> {
  let value: unknown = pending;
  for (;;) {
    let settled: unknown;
    let rejected = false;
    try {
      settled = isPromiseLike(value) ? await value : value;
    } catch (error) {
      rejected = true;
      settled = error;
    }
    // A rejection is thrown into the steps, where their try/catch sees it as a synchronous throw.
    const step = rejected ? steps.throw(settled) : steps.next(settled);
    if (step.done) return step.value;
    value = step.value;
  }
}

// The mark of a promise the handler made: it never rejects and always holds a response. Its value is
// that response when it was already in hand when the promise was made, else `null`.
const SETTLED = Symbol('manouche.settled');

type SettledPromise = Promise<HttpResponse> & { [SETTLED]?: HttpResponse | null };

/**
 * Marks `promise`, which must never reject and always hold a response, as the handler's own: a layer
 * that hands it back unchanged (a pass-through) then needs no second wrapping.
 */
export function markSettled(promise: Promise<HttpResponse>): Promise<HttpResponse> {
  (promise as SettledPromise)[SETTLED] = null;
  return promise;
}

/**
 * A settled promise of `response`, which remembers the response: when the whole stack hands back
 * such a promise (pass-through layers do), the handler answers with the response at once instead of
 * waiting a microtask for a value it already has ({@link heldResponse}). The mark lives on the
 * promise itself, so nothing is shared between requests or applications; the response keeps its
 * promise, so every layer a response passes through hands back the same one instead of making its own.
 */
export function settledWith(response: HttpResponse): Promise<HttpResponse> {
  const made = (response as RespondedWith)[SETTLED_PROMISE];
  if (made !== undefined) return made;
  const promise: SettledPromise = Promise.resolve(response);
  promise[SETTLED] = response;
  (response as RespondedWith)[SETTLED_PROMISE] = promise;
  return promise;
}

const SETTLED_PROMISE = Symbol('manouche.settledPromise');
type RespondedWith = HttpResponse & { [SETTLED_PROMISE]?: Promise<HttpResponse> };

/** Whether `value` is a promise the handler made (see {@link markSettled}). */
export function isSettled(value: PromiseLike<unknown>): value is Promise<HttpResponse> {
  return (value as SettledPromise)[SETTLED] !== undefined;
}

/** The response a promise made by {@link settledWith} holds, else `null` (it must be awaited). */
export function heldResponse(promise: PromiseLike<HttpResponse>): HttpResponse | null {
  return (promise as SettledPromise)[SETTLED] ?? null;
}
