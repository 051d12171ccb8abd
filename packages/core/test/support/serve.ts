import { createApp, type Application, type Logger, type Settings } from '@manouche/core';
import { LiveServer, type LiveServerOptions } from '@manouche/testing';

type Level = 'info' | 'warn' | 'error';

/** A logger that keeps its lines, so tests can assert "one log line". */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: Level; message: string; error?: unknown }> = [];
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
  at(level: Level): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

/** The application for `settings`, logging to a fresh {@link MemoryLogger} (unless `LOGGER` is given). */
export function createLoggedApp(settings: Settings): { app: Application; logger: MemoryLogger } {
  const logger = new MemoryLogger();
  return { app: createApp({ LOGGER: logger, ...settings }), logger };
}

/** An application listening on an ephemeral 127.0.0.1 port (a started {@link LiveServer}). */
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

/**
 * Creates the application for `settings` (with a {@link MemoryLogger}) and starts a `LiveServer` for
 * it (over TLS and/or HTTP/2 when `options` say so).
 */
export async function serve(settings: Settings, options: LiveServerOptions = {}): Promise<Served> {
  const { app, logger } = createLoggedApp(settings);
  const server = await new LiveServer(app, options).start();
  const { url, wsUrl, port } = server;
  return { app, url, wsUrl, port, logger, close: () => server.stop() };
}
