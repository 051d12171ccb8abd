// The application, its MemoryLogger and its LiveServer are set up as in core's tests.
export { MemoryLogger, serve, type Served } from '../../../core/test/support/serve';
export { until } from '../../../core/test/support/raw-http';

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function outside, for handing values from a view to a test. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
