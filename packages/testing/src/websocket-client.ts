import type { IncomingMessage } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import WebSocket, { type RawData } from 'ws';
import { openHttp2WebSocket } from './http2-websocket';
import { WebSocketAlreadyConnected } from './errors';

/** Options of the client. */
export interface WebSocketTestClientOptions {
  /** How long `receive()`/`receiveJson()` wait by default, in ms (1000). */
  timeoutMs?: number;
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441 extended CONNECT) instead of an HTTP/1.1 upgrade:
   * `wss://` over TLS, `ws://` as cleartext HTTP/2 (h2c). Accepted, `status` is then 200.
   */
  http2?: boolean;
}

const DEFAULT_TIMEOUT_MS = 1000;
const ABNORMAL_CLOSURE = 1006;

/** What `connect()` resolves to. */
export interface ConnectResult {
  /** True when the server accepted: 101 over HTTP/1.1, 200 over HTTP/2. */
  accepted: boolean;
  /** The subprotocol the server chose, `''` when none. */
  protocol: string;
  /** 101 when accepted (200 over HTTP/2), else the HTTP status of the refusal. */
  status: number;
  /** The close code when the connection was refused or already closed, else `null`. */
  closeCode: number | null;
}

/** Options of `connect()`. */
export interface ConnectOptions {
  subprotocols?: string[];
  headers?: Record<string, string>;
  origin?: string;
}

/** How the connection ended. */
export interface CloseInfo {
  code: number;
  reason: string;
}

type Received = { kind: 'message'; data: string | Buffer } | { kind: 'close'; info: CloseInfo };

/**
 * A WebSocket client for tests (Channels' `WebsocketCommunicator`), over a real handshake against a
 * `LiveServer`. Failed expectations reject with what was expected and what came.
 *
 * ```ts
 * const ws = new WebSocketTestClient(`${server.wsUrl}/echo/`);
 * expect((await ws.connect()).accepted).toBe(true);
 * await ws.send('hi');
 * expect(await ws.receive()).toBe('hi');
 * await ws.close();
 * ```
 */
export class WebSocketTestClient {
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #http2: boolean;
  #session: ClientHttp2Session | null = null;
  /** Resolves when the connection ends, with the close code and reason. */
  readonly closed: Promise<CloseInfo>;
  #socket: WebSocket | null = null;
  readonly #inbox: Received[] = [];
  /** Wakes every pending `#next` (several may wait at once, e.g. `receive` and `closed` users). */
  readonly #waiters = new Set<() => void>();
  #closeInfo: CloseInfo | null = null;
  #resolveClosed!: (info: CloseInfo) => void;

  constructor(url: string, options: WebSocketTestClientOptions = {}) {
    this.url = url;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#http2 = options.http2 === true;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Opens the connection; resolves whether or not the server accepted. */
  connect(options: ConnectOptions = {}): Promise<ConnectResult> {
    if (this.#socket !== null || this.#session !== null)
      return Promise.reject(new WebSocketAlreadyConnected('connect() was already called on this client'));
    if (this.#http2) return this.#connectOverHttp2(options);
    const socket = new WebSocket(this.url, options.subprotocols ?? [], {
      headers: options.headers,
      origin: options.origin,
      // A test client against a LiveServer, whose certificate is usually self-signed.
      rejectUnauthorized: false,
    });
    this.#socket = socket;
    this.#listen(socket);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: ConnectResult): void => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      socket.once('open', () =>
        settle({ accepted: true, protocol: socket.protocol, status: 101, closeCode: null }),
      );
      socket.once('unexpected-response', (_request, response: IncomingMessage) => {
        response.resume();
        settle({ accepted: false, protocol: '', status: response.statusCode ?? 0, closeCode: null });
        socket.terminate();
      });
      // A failure before the handshake completed (connection refused, reset, bad 101): ws moves to
      // CLOSING before emitting 'error', so settle on any error or close that comes before 'open'.
      socket.on('error', () =>
        settle({ accepted: false, protocol: '', status: 0, closeCode: this.#closeInfo?.code ?? null }),
      );
      socket.once('close', (code: number) =>
        settle({ accepted: false, protocol: '', status: 0, closeCode: code }),
      );
    });
  }

  async #connectOverHttp2(options: ConnectOptions): Promise<ConnectResult> {
    const opened = await openHttp2WebSocket(this.url, {
      subprotocols: options.subprotocols ?? [],
      headers: options.headers ?? {},
      origin: options.origin,
    });
    const session = opened.session;
    this.#session = session;
    const socket = opened.socket;
    if (socket === null) {
      session.close();
      // As ws reports a refused upgrade: the connection ended abnormally (1006).
      this.#finish({ code: ABNORMAL_CLOSURE, reason: '' });
      return { accepted: false, protocol: '', status: opened.status, closeCode: null };
    }
    this.#socket = socket;
    this.#listen(socket);
    // One session per client: it ends with the WebSocket.
    socket.once('close', () => session.close());
    socket.on('error', () => undefined);
    return { accepted: true, protocol: socket.protocol, status: opened.status, closeCode: null };
  }

  #listen(socket: WebSocket): void {
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      this.#push({ kind: 'message', data: isBinary ? buffer : buffer.toString('utf8') });
    });
    socket.on('close', (code: number, reason: Buffer) =>
      this.#finish({ code, reason: reason.toString('utf8') }),
    );
  }

  /** Sends a text frame for a string, a binary frame for bytes; rejects when the socket is not open. */
  async send(data: string | Buffer | Uint8Array): Promise<void> {
    const socket = this.#open('send');
    return new Promise((resolve, reject) =>
      socket.send(data, { binary: typeof data !== 'string' }, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Sends `JSON.stringify(value)` as text. */
  sendJson(value: unknown): Promise<void> {
    return this.send(JSON.stringify(value));
  }

  /** The next message (string for text, Buffer for binary); rejects when none comes in time. */
  async receive(timeoutMs = this.#timeoutMs): Promise<string | Buffer> {
    const next = await this.#next(timeoutMs);
    if (next === null) throw new Error(`expected a message within ${timeoutMs} ms, none came`);
    if (next.kind === 'close')
      throw new Error(`expected a message within ${timeoutMs} ms, the socket closed with ${next.info.code}`);
    return next.data;
  }

  /** The next message parsed as JSON. */
  async receiveJson<T = unknown>(timeoutMs = this.#timeoutMs): Promise<T> {
    const message = await this.receive(timeoutMs);
    const text = typeof message === 'string' ? message : message.toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`expected a JSON message, received ${JSON.stringify(text.slice(0, 200))}`);
    }
  }

  /** Resolves when no message arrives within `ms`; rejects with the message that did. */
  async receiveNothing(ms = 100): Promise<void> {
    const next = await this.#next(ms, false);
    if (next !== null && next.kind === 'message') {
      const shown =
        typeof next.data === 'string'
          ? JSON.stringify(next.data.slice(0, 200))
          : `${next.data.length} binary bytes`;
      throw new Error(`expected no message within ${ms} ms, received ${shown}`);
    }
  }

  /**
   * Starts the closing handshake and resolves when the connection has closed. The code defaults to
   * 1000 (normal closure), as Channels' `disconnect()` does; a close frame without a code would reach
   * the server as 1005 ("no status received").
   */
  async close(code = 1000, reason = ''): Promise<CloseInfo> {
    const socket = this.#socket;
    if (
      socket !== null &&
      (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
    )
      socket.close(code, reason);
    return this.closed;
  }

  #open(action: string): WebSocket {
    const socket = this.#socket;
    if (socket === null) throw new Error(`expected a connected socket to ${action}; call connect() first`);
    if (socket.readyState !== WebSocket.OPEN) {
      throw new Error(
        `expected an open socket to ${action}, the socket ${this.#closeInfo ? `closed with ${this.#closeInfo.code}` : 'is not open'}`,
      );
    }
    return socket;
  }

  #push(item: Received): void {
    this.#inbox.push(item);
    for (const wake of [...this.#waiters]) wake();
  }

  #finish(info: CloseInfo): void {
    if (this.#closeInfo !== null) return;
    this.#closeInfo = info;
    this.#push({ kind: 'close', info });
    this.#resolveClosed(info);
  }

  /** The next inbox item within `timeoutMs`, or `null`. A close stays in the inbox for later calls. */
  async #next(timeoutMs: number, consume = true): Promise<Received | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const head = this.#inbox[0];
      if (head !== undefined) {
        if (head.kind === 'message' && consume) this.#inbox.shift();
        return head;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters;
        const timer = setTimeout(done, remaining);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }
}
