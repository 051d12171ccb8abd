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
}

/** An application listening on an ephemeral 127.0.0.1 port. */
export interface Served {
  app: Application;
  url: string;
  port: number;
  logger: MemoryLogger;
  close(): Promise<void>;
}

export async function serve(settings: Settings): Promise<Served> {
  const logger = new MemoryLogger();
  const app = createApp({ LOGGER: logger, ...settings });
  const server = await app.listen(0, '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  return { app, url: `http://127.0.0.1:${port}`, port, logger, close: () => app.close() };
}
