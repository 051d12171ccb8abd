import type { IncomingMessage } from 'node:http';
import { WebSocketTestClient, type ConnectOptions } from '@manouche/testing';
import { WebSocket, type ClientOptions, type RawData } from 'ws';

/**
 * A `WebSocketTestClient` connected to `url`; rejects when the server does not accept. Tests that only
 * connect, send, receive and look at the close code use it. {@link TestSocket} below is for what it
 * can't do: `ws`-level options and frames (extensions, pings, fragments, a terminated TCP connection),
 * and the body of a refused handshake.
 */
export async function connected(url: string, options?: ConnectOptions): Promise<WebSocketTestClient> {
  const client = new WebSocketTestClient(url);
  const { accepted, status } = await client.connect(options);
  if (!accepted) throw new Error(`expected ${url} to accept the WebSocket, it answered ${status}`);
  return client;
}

/** A message as the client received it. */
export interface Received {
  data: Buffer;
  isBinary: boolean;
  /** `data` decoded as UTF-8. */
  text: string;
}

/** How a connection ended, as the client saw it. */
export interface Closed {
  code: number;
  reason: string;
}

/**
 * A `ws` client that queues what arrives from the moment it is created (so nothing sent right after
 * the `101` is missed), with promise helpers for the next message and the close.
 */
export class TestSocket {
  readonly ws: WebSocket;
  readonly #queue: Received[] = [];
  readonly #waiters: Array<(message: Received | null) => void> = [];
  readonly closed: Promise<Closed>;
  #isClosed = false;

  constructor(url: string, protocols: string | string[] | undefined, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, protocols, options);
    this.ws.on('error', () => undefined); // failures surface through `opened` / `closed`
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      const message: Received = { data: buffer, isBinary, text: buffer.toString('utf8') };
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.#queue.push(message);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code: number, reason: Buffer) => {
        this.#isClosed = true;
        for (const waiter of this.#waiters.splice(0)) waiter(null);
        resolve({ code, reason: reason.toString('utf8') });
      });
    });
  }

  /** Resolves once open; rejects with the HTTP status when the server refused the handshake. */
  opened(): Promise<this> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) {
        resolve(this);
        return;
      }
      this.ws.once('open', () => resolve(this));
      this.ws.once('unexpected-response', (_request, response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          reject(new HandshakeRefused(response.statusCode ?? 0, response.headers, Buffer.concat(chunks))),
        );
      });
      this.ws.once('error', (error) => reject(error));
    });
  }

  /** The next message, or `null` when the socket closed first. Rejects after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<Received | null> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#isClosed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(new Error(`expected a message within ${timeoutMs} ms, none came`));
      }, timeoutMs);
      const waiter = (message: Received | null): void => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#waiters.push(waiter);
    });
  }

  /** The next message's text; fails when the socket closed instead. */
  async nextText(timeoutMs?: number): Promise<string> {
    const message = await this.next(timeoutMs);
    if (message === null) throw new Error('expected a message, the socket closed');
    return message.text;
  }

  /** Sends and resolves once written. */
  send(data: string | Buffer, options: { binary?: boolean; fin?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      this.ws.send(data, options, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Closes (if still open) and resolves once closed. */
  async close(code?: number, reason?: string): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    return this.closed;
  }
}

/** The server answered the handshake with something other than `101`. */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: IncomingMessage['headers'],
    readonly body: Buffer,
  ) {
    super(`the server refused the WebSocket handshake with ${status}`);
  }
}

/** Opens a WebSocket to `url` and resolves once it is open. */
export function connect(
  url: string,
  options: ClientOptions & { protocols?: string | string[] } = {},
): Promise<TestSocket> {
  const { protocols, ...rest } = options;
  return new TestSocket(url, protocols, rest).opened();
}

/** Opens a WebSocket to `url` expecting a refusal; resolves to it (status, headers, body). */
export async function refusal(
  url: string,
  options: ClientOptions & { protocols?: string | string[] } = {},
): Promise<HandshakeRefused> {
  const { protocols, ...rest } = options;
  const socket = new TestSocket(url, protocols, rest);
  try {
    await socket.opened();
  } catch (error) {
    if (error instanceof HandshakeRefused) return error;
    throw error;
  }
  await socket.close();
  throw new Error(`expected the handshake to ${url} to be refused, it was accepted`);
}
