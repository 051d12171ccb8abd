/**
 * A WebSocket connection's whole life, once handshake.ts has opened it: `request.websocket`
 * ({@link WebSocketConnection}), the view body run on it ({@link serveConnection}: closed with 1000
 * when it returns, 1011 when it throws), and the open connections of each application, closed with
 * 1001 by `Application.close()` ({@link trackConnection}).
 */
import {
  HttpResponse,
  type RequestApp,
  type HttpRequest,
  type Logger,
  type WebSocketConnection as WebSocketConnectionShape,
} from '@manouche/core';
import type { RawData, WebSocket } from 'ws';
import { CloseCode, HandshakeStatus, ReadyState } from './constants';
import { WebSocketClosed } from './errors';

const TEXT_FRAME = { binary: false };
// The last text message received on any connection, and its bytes (see send()).
let lastReceivedText: string | null = null;
let lastReceivedBytes: Buffer | null = null;
const BINARY_FRAME = { binary: true };

/** A message as a view sees it: text frames as strings, binary frames as Buffers. */
export type Message = string | Buffer;

/** What a connection needs beyond the socket. */
export interface ConnectionOptions {
  /** Ping every so many ms; a peer silent for two intervals is closed with 1001. 0: never. */
  pingInterval: number;
  logger: Logger;
  /** The request's path for log lines, already escaped (`escapeForLog`): quote it as it is. */
  path: string;
}

/**
 * `request.websocket`: dwebsocket's API over a `ws` socket. Messages queue until read; nothing throws
 * because the peer left (`wait`/`read` give `null`, `closed` turns true), only `send` rejects.
 */
export class WebSocketConnection implements WebSocketConnectionShape {
  readonly #socket: WebSocket;
  readonly #options: ConnectionOptions;
  readonly #queue: Message[] = [];
  readonly #waiters: Array<(message: Message | null) => void> = [];
  readonly #ended: Promise<void>;
  #closeCode: number | null = null;
  #closeReason = '';
  // Whether the peer sent anything (message, ping, pong) since the last ping tick: a flag, so the
  // message path does not read the clock.
  #heard = false;
  #silentTicks = 0;
  #pingTimer: NodeJS.Timeout | null = null;

  constructor(socket: WebSocket, options: ConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      this.#heard = true;
      if (isBinary) {
        this.#deliver(toBuffer(data));
        return;
      }
      const bytes = toBuffer(data);
      const text = bytes.toString('utf8');
      lastReceivedText = text;
      lastReceivedBytes = bytes;
      this.#deliver(text);
    });
    socket.on('pong', () => (this.#heard = true));
    socket.on('ping', () => (this.#heard = true));
    socket.on('error', (error: Error & { code?: string }) => {
      // ws has already chosen the close code (1009 for an oversized message, 1007 for bad UTF-8...).
      options.logger.warn(
        `WebSocket ${options.path}: ${error.message}${error.code ? ` (${error.code})` : ''}`,
      );
    });
    this.#ended = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.#closeCode = code;
        this.#closeReason = reason.toString('utf8');
        this.#stopPinging();
        for (const waiter of this.#waiters.splice(0)) waiter(null);
        resolve();
      });
    });
    if (options.pingInterval > 0) this.#startPinging(options.pingInterval);
  }

  /** The next message; `null` once the connection is closed, or after `timeoutMs` (no timeout by default). */
  wait(timeoutMs?: number): Promise<Message | null> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closeCode !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (message: Message | null): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(message);
      };
      this.#waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index !== -1) this.#waiters.splice(index, 1);
          resolve(null);
        }, timeoutMs);
      }
    });
  }

  /** The next queued message, or `null`; never waits. */
  read(): Message | null {
    return this.#queue.shift() ?? null;
  }

  hasMessages(): boolean {
    return this.#queue.length > 0;
  }

  countMessages(): number {
    return this.#queue.length;
  }

  /**
   * Sends a text frame for a string, a binary frame for bytes. Resolves once the frame is written to
   * the socket, so `await`ing each send never outruns a slow client. Rejects when the connection is
   * closed or closing.
   */
  send(data: string | Buffer | Uint8Array): Promise<void> {
    if (this.#socket.readyState !== ReadyState.OPEN) {
      const state = this.#closeCode === null ? 'closing' : `closed (code ${this.#closeCode})`;
      return quietly(Promise.reject(new WebSocketClosed(`Cannot send on a WebSocket that is ${state}`)));
    }
    let payload: Buffer;
    let options: { binary: boolean };
    if (typeof data === 'string') {
      // Relaying what just arrived (an echo, a chat line sent on to the room) needs no encoding: ws
      // checked that the frame was valid UTF-8, so the bytes received are exactly the string's bytes.
      payload = data === lastReceivedText ? lastReceivedBytes! : Buffer.from(data, 'utf8');
      options = TEXT_FRAME;
    } else {
      payload = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      options = BINARY_FRAME;
    }
    // Declared before it is assigned: the callback reads it, and ws could call it before `new Promise`
    // returns (then the rejection is marked handled just after).
    let promise: Promise<void> | undefined;
    let failedAtOnce = false;
    // eslint-disable-next-line prefer-const
    promise = new Promise((resolve, reject) => {
      this.#socket.send(payload, options, (error) => {
        if (error === undefined || error === null) {
          resolve();
          return;
        }
        // Handled before it rejects, so a send nobody awaits (a peer that just left) can't become an
        // unhandled rejection; `await ws.send()` still throws.
        if (promise === undefined) failedAtOnce = true;
        else quietly(promise);
        // The frame could not be written: the connection went away underneath it.
        reject(new WebSocketClosed(`Cannot send on a WebSocket that went away: ${error.message}`));
      });
    });
    if (failedAtOnce) quietly(promise);
    return promise;
  }

  /** Starts the closing handshake; does nothing once closing or closed. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.#socket.readyState === ReadyState.CLOSING || this.#socket.readyState === ReadyState.CLOSED)
      return;
    this.#socket.close(code, reason);
  }

  /** Drops the connection without a closing handshake (for a peer that never answers one). */
  terminate(): void {
    this.#socket.terminate();
  }

  /** Resolves when the connection has closed (both close frames exchanged, or the socket gone). */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** `for await (const message of ws)`: every message until the connection closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    // A plain iterator rather than an async generator, resolving each step's promise straight from
    // the message handler: one promise per message instead of three, which shows on an echo loop.
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    const step = (message: Message | null): IteratorResult<Message> =>
      message === null ? done : { done: false, value: message };
    return {
      next: () => {
        const queued = this.#queue.shift();
        if (queued !== undefined) return Promise.resolve(step(queued));
        if (this.#closeCode !== null) return Promise.resolve(done);
        return new Promise((resolve) => this.#waiters.push((message) => resolve(step(message))));
      },
      return: () => Promise.resolve(done),
    };
  }

  get closed(): boolean {
    return this.#socket.readyState === ReadyState.CLOSED;
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  get closeCode(): number | null {
    return this.#closeCode;
  }

  get closeReason(): string {
    return this.#closeReason;
  }

  #deliver(message: Message): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(message);
    else this.#queue.push(message);
  }

  #startPinging(interval: number): void {
    this.#pingTimer = setInterval(() => {
      if (this.#heard) {
        this.#heard = false;
        this.#silentTicks = 0;
      } else if (++this.#silentTicks >= 2) {
        this.#options.logger.warn(
          `WebSocket ${this.#options.path}: peer silent for ${2 * interval} ms, closing with 1001`,
        );
        this.#stopPinging();
        this.close(CloseCode.GOING_AWAY, 'ping timeout');
        return;
      }
      this.#socket.ping();
    }, interval);
    this.#pingTimer.unref();
  }

  #stopPinging(): void {
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }
}

/**
 * Marks a rejection as handled without hiding it: `await ws.send()` still throws, but a send nobody
 * awaits (broadcasting to a peer that just left) can't crash the process with an unhandled rejection.
 */
function quietly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// The view on the connection -----------------------------------------------------------------------

/**
 * Runs a WebSocket view's body on the connection handshake.ts accepted: the view returning closes
 * with 1000, the view throwing closes with 1011 and rethrows (so `processException` sees it). Resolves,
 * once the connection has ended, to the `101` response the outgoing middleware sees.
 */
export async function serveConnection(request: HttpRequest, body: () => unknown): Promise<HttpResponse> {
  const connection = request.websocket as WebSocketConnection;
  try {
    await body();
  } catch (error) {
    connection.close(CloseCode.INTERNAL_ERROR, 'internal error');
    await connection.ended;
    throw error;
  }
  connection.close(CloseCode.NORMAL);
  await connection.ended;
  return switchingProtocols(connection);
}

/** The `101` as the outgoing middleware sees it; never written (ws wrote the real one). */
function switchingProtocols(connection: WebSocketConnection): HttpResponse {
  const response = new HttpResponse('', { status: HandshakeStatus.SWITCHING_PROTOCOLS });
  response.headers.delete('Content-Type');
  response.headers.set('Upgrade', 'websocket');
  response.headers.set('Connection', 'Upgrade');
  if (connection.protocol) response.headers.set('Sec-WebSocket-Protocol', connection.protocol);
  return response;
}

// The open connections of each application ---------------------------------------------------------

/** How long `Application.close()` waits for peers to answer the 1001 close frame before dropping them. */
export const CLOSE_TIMEOUT_MS = 5000;

const openConnections = new WeakMap<RequestApp, Set<WebSocketConnection>>();

/**
 * Counts `connection` among `app`'s open connections until it ends. The first one registers the
 * application's `onClose` hook, which closes them all with 1001.
 */
export function trackConnection(app: RequestApp, connection: WebSocketConnection): void {
  const open = openConnections.get(app) ?? startTracking(app);
  open.add(connection);
  void connection.ended.then(() => open.delete(connection));
}

/** The first connection of `app`: its set of open connections, and the hook that closes them. */
function startTracking(app: RequestApp): Set<WebSocketConnection> {
  const open = new Set<WebSocketConnection>();
  openConnections.set(app, open);
  app.onClose(() => closeAll(open));
  return open;
}

/**
 * `Application.close()`: every open WebSocket gets a close frame with 1001 ("going away"); a peer that
 * has not answered it within CLOSE_TIMEOUT_MS is dropped, so close() never hangs on one.
 */
async function closeAll(connections: Set<WebSocketConnection>): Promise<void> {
  const open = [...connections];
  for (const connection of open) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
  const ended = Promise.all(open.map((connection) => connection.ended));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    timer.unref();
  });
  await Promise.race([ended, timeout]);
  clearTimeout(timer);
  for (const connection of open) connection.terminate();
  await ended;
}
