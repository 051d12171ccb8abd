/**
 * `request.websocket` ({@link WebSocketConnection}): dwebsocket's API over a `ws` socket, with the
 * limits that keep a slow or hostile peer from holding memory: what waits for the peer and what
 * waits for the view are both bounded by `WEBSOCKET_MAX_BUFFERED`, and liveness.ts closes a peer
 * that has gone silent or stopped reading. serve.ts runs the view on it.
 *
 * Everything here is per connection and lives as long as an idle socket does, so it is kept small:
 * the `ws` listeners are shared functions (not closures), the queues and the `ended` promise are
 * made on first use, and the settings are one object shared by the application's connections.
 */
import type {
  Logger,
  WebSocketConnection as WebSocketConnectionShape,
  WebSocketTransport,
} from '@manouche/core';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { channelNameOf } from './channel-names';
import { CloseCode, ReadyState } from './constants';
import { WebSocketClosed } from './errors';
import { Liveness, type Probe } from './liveness';
import { ViewQueue, type Message } from './view-queue';

export type { Message } from './view-queue';

/** What the connections of one application share: its settings at the handshake, and its registry. */
export interface ConnectionContext {
  readonly logger: Logger;
  /** `WEBSOCKET_MAX_BUFFERED`: bytes waiting for the peer, or messages waiting for the view. */
  readonly maxBuffered: number;
  /** `WEBSOCKET_PING_INTERVAL` in ms; 0: no pings, no liveness checks. */
  readonly pingInterval: number;
  /** The application's open connections, which `Application.close()` closes. */
  readonly open: Set<WebSocketConnection>;
}

const TEXT_FRAME = { binary: false };
const BINARY_FRAME = { binary: true };
// The last text message received on any connection, and its bytes (see send()).
let lastReceivedText: string | null = null;
let lastReceivedBytes: Buffer | null = null;

/** Where a `ws` socket keeps its connection, so the listeners can be shared functions. */
const CONNECTION = Symbol('manouche.connection');
type TaggedSocket = WebSocket & { [CONNECTION]: WebSocketConnection };

// Set by the class's static block, which may reach its private members: the ws listeners (one
// function each for every connection, `this` being the ws socket) and group delivery.
let onMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;
let onHeard: (this: WebSocket) => void;
let onError: (this: WebSocket, error: Error) => void;
let onClose: (this: WebSocket, code: number, reason: Buffer) => void;
let enqueueFromGroup: (connection: WebSocketConnection, payload: Buffer, binary: boolean) => boolean;
// What liveness.ts reads and does on a connection at each ping: one object for all of them.
let probe: Probe<WebSocketConnection>;

/**
 * `request.websocket`: dwebsocket's API over a `ws` socket. Messages queue until read; nothing throws
 * because the peer left (`wait`/`read` give `null`, `closed` turns true), only `send` rejects.
 */
export class WebSocketConnection extends ViewQueue implements WebSocketConnectionShape {
  readonly #socket: WebSocket;
  // The TCP socket under ws's: a write still pending when it is destroyed reports success (Node calls
  // the callback without an error), so send() looks here before resolving.
  readonly #stream: Duplex;
  readonly #context: ConnectionContext;
  readonly #path: string;
  #ended: Promise<void> | null = null;
  #resolveEnded: (() => void) | null = null;
  #closeCode: number | null = null;
  #closeReason = '';
  // Payload bytes handed to ws so far: with bufferedAmount, how much the peer has taken (liveness.ts).
  #handedOut = 0;
  readonly #liveness: Liveness<WebSocketConnection> | null;
  // Made on the first send: what tells each send() when its frame was written.
  #sends: SendTracker | null = null;
  /** What carries it: an HTTP/1.1 upgrade (`'http/1.1'`) or an HTTP/2 stream (`'h2'`, RFC 8441). */
  readonly transport: WebSocketTransport;

  static {
    onMessage = function (data, isBinary) {
      connectionOf(this).#receive(data, isBinary);
    };
    onHeard = function () {
      connectionOf(this).#liveness?.heard();
    };
    onError = function (error) {
      connectionOf(this).#report(error);
    };
    onClose = function (code, reason) {
      connectionOf(this).#closed(code, reason);
    };
    probe = {
      listening: (connection) =>
        connection.#socket.readyState === ReadyState.OPEN && !connection.#socket.isPaused,
      open: (connection) => connection.#socket.readyState === ReadyState.OPEN,
      bufferedAmount: (connection) => connection.#socket.bufferedAmount,
      taken: (connection) => connection.#handedOut - connection.#socket.bufferedAmount,
      ping: (connection) => connection.#socket.ping(),
      closeFor: (connection, code, reason, why) => connection.#closeFor(code, reason, why),
    };
    enqueueFromGroup = (connection, payload, binary) => {
      const socket = connection.#socket;
      if (socket.readyState !== ReadyState.OPEN || !connection.#admit(payload.length)) return false;
      socket.send(payload, binary ? BINARY_FRAME : TEXT_FRAME);
      return socket.bufferedAmount > 0;
    };
  }

  constructor(
    socket: WebSocket,
    stream: Duplex,
    context: ConnectionContext,
    path: string,
    transport: WebSocketTransport = 'http/1.1',
  ) {
    super();
    this.#socket = socket;
    this.transport = transport;
    this.#stream = stream;
    this.#context = context;
    this.#path = path;
    (socket as TaggedSocket)[CONNECTION] = this;
    socket.on('message', onMessage);
    socket.on('pong', onHeard);
    socket.on('ping', onHeard);
    socket.on('error', onError);
    // `on`, not `once`: ws emits it once, and `once` would wrap the listener in a closure.
    socket.on('close', onClose);
    context.open.add(this);
    this.#liveness = context.pingInterval > 0 ? Liveness.start(this, context.pingInterval, probe) : null;
  }

  /**
   * Sends a text frame for a string, a binary frame for bytes. Resolves once the frame is written to
   * the socket, so `await`ing each send never outruns a slow client. Rejects when the connection is
   * closed or closing, or is dropped before the frame could be written, and when more than `WEBSOCKET_MAX_BUFFERED` bytes were already waiting for
   * the peer: the connection is then closed with 1013 (logged once) and the message not sent.
   */
  send(data: string | Buffer | Uint8Array): Promise<void> {
    if (this.#socket.readyState !== ReadyState.OPEN) return this.#refuse();
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
    if (!this.#admit(payload.length)) return this.#refuse();
    const sends = (this.#sends ??= new SendTracker(this.#stream));
    this.#socket.send(payload, options, sends.onWritten);
    return sends.sent(this.#socket.bufferedAmount === 0);
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
    if (this.#ended === null) {
      this.#ended =
        this.#closeCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => {
              this.#resolveEnded = resolve;
            });
    }
    return this.#ended;
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

  /**
   * This connection's address: `getChannelLayer(app).send(channelName, message)` reaches it from any
   * process. Drawn on first read (unguessable, unique across processes).
   */
  get channelName(): string {
    return channelNameOf(this);
  }

  // Inside ----------------------------------------------------------------------------------------

  /** A message from the peer: to the view waiting for one, else to the queue. */
  #receive(data: RawData, isBinary: boolean): void {
    this.#liveness?.heard();
    let message: Message;
    if (isBinary) {
      message = toBuffer(data);
    } else {
      const bytes = toBuffer(data);
      message = bytes.toString('utf8');
      lastReceivedText = message;
      lastReceivedBytes = bytes;
    }
    this.toView(message);
    // The view is not keeping up: stop reading, so the peer waits (TCP backpressure) instead of this
    // process holding what it sends. Reading resumes once the view has read half of it.
    if (this.queuedLength > this.#context.maxBuffered && !this.#socket.isPaused) this.#socket.pause();
  }

  /** Resumes the reading that a full queue paused, once the view has read half of it. */
  protected override taken(): void {
    if (this.#socket.isPaused && this.queuedLength <= this.#context.maxBuffered / 2) this.#socket.resume();
  }

  /** Closes the connection for a limit or a liveness rule, with one log line saying why. */
  #closeFor(code: number, reason: string, why: string): void {
    this.#context.logger.warn(`WebSocket ${this.#path}: ${why}, closing with ${code}`);
    this.close(code, reason);
  }

  /**
   * Whether a message of `size` bytes may be handed to ws: not when more than `maxBuffered` bytes
   * already wait for the peer. Then the peer is not keeping up: the connection is closed with 1013
   * ("try again later": the client did nothing wrong and may reconnect), logged once, since every
   * later send finds it closing.
   */
  #admit(size: number): boolean {
    const waiting = this.#socket.bufferedAmount;
    if (waiting > this.#context.maxBuffered) {
      this.#closeFor(
        CloseCode.TRY_AGAIN_LATER,
        'peer not reading',
        `peer not reading (${waiting} bytes waiting, over WEBSOCKET_MAX_BUFFERED ${this.#context.maxBuffered})`,
      );
      return false;
    }
    this.#handedOut += size;
    return true;
  }

  #refuse(): Promise<void> {
    const state = this.#closeCode === null ? 'closing' : `closed (code ${this.#closeCode})`;
    return quietly(Promise.reject(new WebSocketClosed(`Cannot send on a WebSocket that is ${state}`)));
  }

  #closed(code: number, reason: Buffer): void {
    this.#closeCode = code;
    this.#closeReason = reason.toString('utf8');
    this.#liveness?.stop();
    this.#context.open.delete(this);
    this.endForView(false);
    this.#resolveEnded?.();
  }

  #report(error: Error & { code?: string }): void {
    // ws has already chosen the close code (1009 for an oversized message, 1007 for bad UTF-8...).
    this.#context.logger.warn(
      `WebSocket ${this.#path}: ${error.message}${error.code ? ` (${error.code})` : ''}`,
    );
  }
}

// A send whose frame the kernel took at once resolves with this promise: nothing is left to wait for.
const WRITTEN: Promise<void> = Promise.resolve();

/**
 * When each `send()` of a connection has its frame written. Every frame is handed to ws with the same
 * callback, which ws and Node call in the order of the frames: the n-th call is the n-th frame's.
 * A frame the kernel took synchronously (nothing buffered after ws.send, the usual case) needs no
 * promise of its own; one that waits in a buffer gets a promise settled by its call.
 */
class SendTracker {
  readonly onWritten: (error?: Error | null) => void;
  #handed = 0;
  #written = 0;
  #waiting: Array<{ frame: number; resolve: () => void; reject: (error: Error) => void }> | null = null;

  constructor(stream: Duplex) {
    this.onWritten = (error) => {
      const frame = ++this.#written;
      const head = this.#waiting?.[0];
      if (head === undefined || head.frame !== frame) return;
      this.#waiting!.shift();
      // A write still pending when the socket is destroyed is reported as a success by Node.
      if ((error === undefined || error === null) && !stream.destroyed) {
        head.resolve();
        return;
      }
      const cause = error?.message ?? 'the connection was dropped before the message was written';
      head.reject(new WebSocketClosed(`Cannot send on a WebSocket that went away: ${cause}`));
    };
  }

  /** The promise of the frame just handed to ws; `flushed`: nothing of it is left in a buffer. */
  sent(flushed: boolean): Promise<void> {
    const frame = ++this.#handed;
    if (flushed && (this.#waiting === null || this.#waiting.length === 0)) return WRITTEN;
    // Handled before it can reject, so a send nobody awaits (a peer that just left) can't become an
    // unhandled rejection; `await ws.send()` still throws.
    return quietly(
      new Promise<void>((resolve, reject) => (this.#waiting ??= []).push({ frame, resolve, reject })),
    );
  }
}

function connectionOf(socket: WebSocket): WebSocketConnection {
  return (socket as TaggedSocket)[CONNECTION];
}

/**
 * Group delivery to a connection (channel-layer.ts): the message goes out as `send()` would send it,
 * under the same `WEBSOCKET_MAX_BUFFERED` rule, but without a promise, since nobody waits for one
 * member. `payload` is the message's bytes, encoded once for the whole group. Returns whether bytes
 * are left waiting for the peer (the kernel did not take them all at once).
 */
export function sendFromGroup(connection: WebSocketConnection, payload: Buffer, binary: boolean): boolean {
  return enqueueFromGroup(connection, payload, binary);
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
