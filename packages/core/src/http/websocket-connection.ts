/**
 * How a connection reaches its peer: a WebSocket over HTTP/1.1 or HTTP/2 (RFC 8441), or one of the
 * fallbacks a WebSocket view may offer to a client that can't open one (Server-Sent Events with
 * POSTs, or long polling with POSTs).
 */
export type WebSocketTransport = 'http/1.1' | 'h2' | 'sse' | 'longpoll';

/**
 * The shape of `request.websocket` (dwebsocket's API). `@manouche/websocket` provides the
 * implementation; core only names the type so `HttpRequest` can carry it.
 */
export interface WebSocketConnection extends AsyncIterable<string | Buffer> {
  /** The next message; `null` once closed, or when `timeoutMs` passed. No timeout by default. */
  wait(timeoutMs?: number): Promise<string | Buffer | null>;
  /** The next queued message or `null`; never waits. */
  read(): string | Buffer | null;
  hasMessages(): boolean;
  countMessages(): number;
  /**
   * A string goes as a text frame, bytes as a binary frame; resolves once written, rejects once closed.
   * The rejection is pre-handled: a send nobody awaits never becomes an unhandled rejection.
   */
  send(data: string | Buffer | Uint8Array): Promise<void>;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  readonly closed: boolean;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** The negotiated subprotocol, `''` when none. */
  readonly protocol: string;
  /** The close code once closed, else `null`. */
  readonly closeCode: number | null;
  readonly closeReason: string;
  /** This connection's address: the channel layer's `send(channelName, message)` reaches it from any process. */
  readonly channelName: string;
  /**
   * What carries the connection: `'http/1.1'` (an `Upgrade` on its own TCP connection), `'h2'` (an
   * extended CONNECT stream of an HTTP/2 connection, RFC 8441), or, for a client without WebSockets,
   * the fallbacks `'sse'` and `'longpoll'`.
   */
  readonly transport: WebSocketTransport;
  /** Resolves once the connection has closed. */
  readonly ended: Promise<void>;
}
