import { isPromiseLike } from './promise';
import type { MaybePromise } from './types';

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
