import type { AddressInfo } from 'node:net';
import type { Application, TlsOptions } from '@manouche/core';
import { LiveServerNotStarted } from './errors';

/** How a {@link LiveServer} serves: plain HTTP/1.1 by default. */
export interface LiveServerOptions {
  /** Serve HTTPS with this certificate (`createSelfSignedCertificate()` makes one): `url` is `https://`. */
  tls?: TlsOptions;
  /** Serve HTTP/2 too: ALPN `h2` with `tls`, cleartext prior knowledge (h2c) without; HTTP/1.1 stays. */
  http2?: boolean;
}

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
  readonly #options: LiveServerOptions;
  #port: number | null = null;

  constructor(app: Application, options: LiveServerOptions = {}) {
    this.app = app;
    this.#options = options;
  }

  /** Listens on 127.0.0.1 and a free port. */
  async start(): Promise<this> {
    const { tls, http2 } = this.#options;
    const server = await this.app.listen({ port: 0, host: '127.0.0.1', tls, http2 });
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

  /** `http://127.0.0.1:PORT` (`https://` with `tls`), no trailing slash. */
  get url(): string {
    return `${this.#options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}`;
  }

  /** `ws://127.0.0.1:PORT` (`wss://` with `tls`), no trailing slash. */
  get wsUrl(): string {
    return `${this.#options.tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${this.port}`;
  }
}
