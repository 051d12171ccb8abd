import type { AddressInfo } from 'node:net';
import { createApp, type Application, type Logger, type Settings } from '@manouche/core';

/** A logger that keeps its lines, so tests can assert "one log line". */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: 'info' | 'warn' | 'error'; message: string; error?: unknown }> = [];
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string, error?: unknown): void {
    this.lines.push({ level: 'error', message, error });
  }
  messages(): string[] {
    return this.lines.map((line) => line.message);
  }
  /** The lines at `level`. */
  at(level: 'info' | 'warn' | 'error'): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

/** An application listening on an ephemeral 127.0.0.1 port. */
export interface Served {
  app: Application;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string;
  port: number;
  logger: MemoryLogger;
  close(): Promise<void>;
}

/** Creates the application for `settings` (with a {@link MemoryLogger}) and listens on 127.0.0.1:0. */
export async function serve(settings: Settings): Promise<Served> {
  const logger = new MemoryLogger();
  const app = createApp({ LOGGER: logger, ...settings });
  const server = await app.listen(0, '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    logger,
    close: () => app.close(),
  };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits (polling the event loop) until `condition()` holds; the test's own timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(5);
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
