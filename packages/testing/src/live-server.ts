import type { AddressInfo } from 'node:net';
import type { Application } from '@manouche/core';
import { LiveServerNotStarted } from './errors';

/**
 * Django's `LiveServerTestCase` server: the application on an ephemeral port of 127.0.0.1.
 *
 * ```ts
 * const server = new LiveServer(app);
 * beforeAll(() => server.start());
 * afterAll(() => server.stop());
 * ```
 */
export class LiveServer {
  readonly app: Application;
  #port: number | null = null;

  constructor(app: Application) {
    this.app = app;
  }

  /** Listens on 127.0.0.1 and a free port. */
  async start(): Promise<this> {
    const server = await this.app.listen(0, '127.0.0.1');
    this.#port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the application (WebSockets get 1001) and the port. */
  async stop(): Promise<void> {
    this.#port = null;
    await this.app.close();
  }

  get port(): number {
    if (this.#port === null)
      throw new LiveServerNotStarted('The LiveServer is not started: await server.start() first');
    return this.#port;
  }

  /** `http://127.0.0.1:PORT`, no trailing slash. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `ws://127.0.0.1:PORT`, no trailing slash. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
}
