/**
 * `request.websocket` for a client that can't open a WebSocket ({@link FallbackConnection}): the same
 * members as a WebSocket connection, with messages to the client waiting in a bounded outbox until a
 * transport (an event stream, or the next long poll) takes them, and messages from the client
 * arriving as POSTs. One logical connection outlives the HTTP requests that carry it; it is reaped
 * when none has touched it for `WEBSOCKET_FALLBACK_IDLE_TIMEOUT`.
 */
import type {
  Logger,
  ServerSentEvent,
  WebSocketConnection as WebSocketConnectionShape,
} from '@manouche/core';
import { channelNameOf } from '../channel-names';
import { CloseCode, ReadyState } from '../constants';
import { WebSocketClosed } from '../errors';
import { ViewQueue, type Message } from '../view-queue';
import { Outbox, type Outgoing } from './outbox';
import { StreamEvent, type FallbackTransport, type LongPollAnswer, type PolledMessage } from './protocol';

/** What the connections of one application share. */
export interface FallbackContext {
  readonly logger: Logger;
  /** `WEBSOCKET_MAX_BUFFERED`: bytes waiting for the client, and for the view. */
  readonly maxBuffered: number;
  /** `WEBSOCKET_FALLBACK_IDLE_TIMEOUT`, in ms. */
  readonly idleTimeout: number;
  /** Called once the connection has closed (the registry forgets it). */
  readonly forget: (connection: FallbackConnection) => void;
}

/** The transport that takes messages now; woken when there is something new for it. */
interface Slot {
  readonly wake: () => void;
}

/** How POSTed messages fare: taken, already taken (a retry), or refused. */
export type Delivery = 'queued' | 'duplicate' | 'full' | 'closed';

/** How long a long poll is held when nothing is waiting for the client, at most. */
export const LONG_POLL_HOLD = 20_000;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A WebSocket view's connection over Server-Sent Events or long polling. Messages keep their order
 * (each gets the next sequence number), text stays text and binary stays binary.
 *
 * Bounds, both `WEBSOCKET_MAX_BUFFERED` bytes: the outbox (messages not yet acknowledged by the client,
 * the oldest already-delivered ones dropped first; when what is undelivered alone passes it, the
 * connection is closed with 1013, as a WebSocket peer that doesn't read), and the inbox (messages the
 * view has not read; past it a POST is refused with 503 and the client sends it again later).
 */
export class FallbackConnection
  extends ViewQueue
  implements WebSocketConnectionShape, AsyncIterable<Message>
{
  readonly id: string;
  readonly transport: FallbackTransport;
  readonly protocol: string;
  readonly #context: FallbackContext;
  readonly #path: string;
  #lastInboundSeq = 0;
  readonly #outbox = new Outbox();
  #closing: { code: number; reason: string } | null = null;
  #closeCode: number | null = null;
  #closeReason = '';
  #resolveEnded: () => void = () => undefined;
  readonly ended: Promise<void>;
  // The transport that takes messages now (an event stream, or a held poll): woken on any change.
  #transport: Slot | null = null;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(
    id: string,
    transport: FallbackTransport,
    protocol: string,
    context: FallbackContext,
    path: string,
  ) {
    super();
    this.id = id;
    this.transport = transport;
    this.protocol = protocol;
    this.#context = context;
    this.#path = path;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.#startIdleTimer();
  }

  // The view's side: what a WebSocket connection offers ---------------------------------------------

  /**
   * Queues a message for the client; resolves once it is in the outbox (the transport takes it from
   * there). Rejects with `WebSocketClosed` once closing or closed, and when the client is not taking
   * what waits for it (see the class comment: the connection is then closed with 1013).
   */
  send(data: string | Buffer | Uint8Array): Promise<void> {
    if (this.readyState !== ReadyState.OPEN) return refused(this.#state());
    const message: Message =
      typeof data === 'string' || Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const bytes = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (!this.#admit(bytes)) return refused(this.#state());
    this.#outbox.push(message, bytes);
    this.#transport?.wake();
    return Promise.resolve();
  }

  /** Closes: the client gets the code and reason once it has taken every message sent before. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.#closing !== null || this.#closeCode !== null) return;
    this.#closing = { code, reason };
    this.#transport?.wake();
  }

  /** Closes at once, whatever waits for the client (the application shuts down, or the client is gone). */
  terminate(code: number = CloseCode.GOING_AWAY, reason = ''): void {
    this.#finish(code, reason);
  }

  get closed(): boolean {
    return this.#closeCode !== null;
  }

  get readyState(): number {
    if (this.#closeCode !== null) return ReadyState.CLOSED;
    return this.#closing !== null ? ReadyState.CLOSING : ReadyState.OPEN;
  }

  /** Bytes sent by the view that no transport has taken yet. */
  get bufferedAmount(): number {
    return this.#outbox.undeliveredBytes;
  }

  get closeCode(): number | null {
    return this.#closeCode;
  }

  /**
   * This connection's address, as a WebSocket's: `getChannelLayer(app).send(channelName, message)`
   * reaches it from any process (see the channel layers).
   */
  get channelName(): string {
    return channelNameOf(this);
  }

  get closeReason(): string {
    return this.#closeReason;
  }

  // The client's side: what the fallback requests do ----------------------------------------------

  /** A message POSTed by the client. `seq`, when given, makes a retried POST harmless. */
  deliver(message: Message, seq: number | null): Delivery {
    if (this.#closeCode !== null || this.#closing !== null) return 'closed';
    this.#touch();
    if (seq !== null) {
      if (seq <= this.#lastInboundSeq) return 'duplicate';
    }
    // A view waiting takes it at once; else the view's queue must have room for it.
    if (!this.viewWaiting && this.queuedLength + message.length > this.#context.maxBuffered) return 'full';
    if (seq !== null) this.#lastInboundSeq = seq;
    this.toView(message);
    return 'queued';
  }

  /** The client closes the connection. */
  closeFromClient(code: number, reason: string): void {
    this.#finish(code, reason);
  }

  /**
   * The connection's events for an event stream, from the message after `last` (the `connected` event first).
   * A newer stream or poll replaces this one, which then ends; so does the close event.
   */
  stream(last: number | null): AsyncIterable<ServerSentEvent> {
    let cursor = this.#resume(last);
    let slot: Slot | null = null;
    let wake: (() => void) | null = null;
    let over = false;
    const wakeStream = (): void => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    const iterator: AsyncIterator<ServerSentEvent> = {
      next: async () => {
        if (over) return DONE;
        if (slot === null) {
          slot = this.#attach(wakeStream);
          const open = { id: this.id, protocol: this.protocol };
          return { done: false, value: { event: StreamEvent.CONNECTED, data: JSON.stringify(open) } };
        }
        for (;;) {
          if (over || !this.#isCurrent(slot)) {
            over = true;
            return DONE;
          }
          const message = this.#outbox.after(cursor);
          if (message !== undefined) {
            cursor = message.seq;
            this.#outbox.markHanded(message.seq);
            return { done: false, value: toEvent(message) };
          }
          const notice = this.#closeNotice();
          if (notice !== null) {
            over = true;
            this.#finish(notice.code, notice.reason);
            this.#detach(slot);
            return { done: false, value: { event: StreamEvent.CLOSE, data: JSON.stringify(notice) } };
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      return: () => {
        over = true;
        wakeStream();
        if (slot !== null) this.#detach(slot);
        return Promise.resolve(DONE);
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  /**
   * A long poll: the messages after `last`, at once when there are any, else once one comes, the
   * connection closes, a newer poll replaces this one, or `holdMs` passed (then none).
   */
  async poll(last: number | null, holdMs: number): Promise<LongPollAnswer> {
    const cursor = this.#resume(last);
    if (this.#outbox.after(cursor) === undefined && this.#closeNotice() === null && holdMs > 0) {
      let slot: Slot | null = null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(answer, holdMs);
        function answer(): void {
          clearTimeout(timer);
          resolve();
        }
        slot = this.#attach(answer);
      });
      this.#detach(slot!);
    }
    this.#touch();
    const messages: PolledMessage[] = [];
    for (const message of this.#outbox.since(cursor)) {
      messages.push(
        typeof message.data === 'string'
          ? { seq: message.seq, text: message.data }
          : { seq: message.seq, binary: message.data.toString('base64') },
      );
      this.#outbox.markHanded(message.seq);
    }
    const answer: LongPollAnswer = { id: this.id, protocol: this.protocol, messages };
    const notice = this.#closeNotice();
    if (notice !== null) {
      answer.close = notice;
      this.#finish(notice.code, notice.reason);
    }
    return answer;
  }

  // Inside ------------------------------------------------------------------------------------------

  /**
   * Acknowledges what the client says it has, and returns where its transport starts: after `last`,
   * or (none said) after what the outbox dropped. A client that lost messages the outbox no longer
   * holds can't resume: the connection is closed with 1013 so it knows to start over.
   */
  #resume(last: number | null): number {
    const newest = this.#outbox.lastSeq;
    if (last === null) return (this.#outbox.oldestSeq ?? newest + 1) - 1;
    this.#outbox.acknowledge(last);
    const oldest = this.#outbox.oldestSeq ?? newest + 1;
    if (oldest > last + 1 && last < newest) {
      this.#context.logger.warn(
        `WebSocket ${this.#path} (${this.transport}): the client resumed after message ${last}, which is no longer kept; closing with ${CloseCode.TRY_AGAIN_LATER}`,
      );
      this.#finish(RESUME_FAILED.code, RESUME_FAILED.reason);
    }
    return Math.min(last, newest);
  }

  /** The close to tell the client, once it has everything sent before it. */
  #closeNotice(): { code: number; reason: string } | null {
    if (this.#closeCode !== null) return { code: this.#closeCode, reason: this.#closeReason };
    if (this.#closing !== null && this.#outbox.allHanded) return this.#closing;
    return null;
  }

  /** Room for `bytes` more in the outbox: delivered messages go first; then 1013, logged once. */
  #admit(bytes: number): boolean {
    const max = this.#context.maxBuffered;
    if (this.#outbox.makeRoom(bytes, max)) return true;
    this.#context.logger.warn(
      `WebSocket ${this.#path} (${this.transport}): peer not reading (${this.#outbox.bytes} bytes waiting, over WEBSOCKET_MAX_BUFFERED ${max}), closing with ${CloseCode.TRY_AGAIN_LATER}`,
    );
    this.#finish(CloseCode.TRY_AGAIN_LATER, 'peer not reading');
    return false;
  }

  /** `wake` becomes the transport to wake; the one before it is woken to find itself replaced. */
  #attach(wake: () => void): Slot {
    const previous = this.#transport;
    const slot: Slot = { wake };
    this.#transport = slot;
    previous?.wake();
    this.#stopIdleTimer();
    return slot;
  }

  #detach(slot: Slot): void {
    if (this.#transport !== slot) return;
    this.#transport = null;
    this.#startIdleTimer();
  }

  #isCurrent(slot: Slot): boolean {
    return this.#transport === slot;
  }

  #state(): string {
    return this.#closeCode === null ? 'closing' : `closed (code ${this.#closeCode})`;
  }

  #touch(): void {
    if (this.#idleTimer !== null) this.#idleTimer.refresh();
  }

  #startIdleTimer(): void {
    if (this.#closeCode !== null || this.#idleTimer !== null) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      this.#context.logger.info(
        `WebSocket ${this.#path} (${this.transport}): idle for ${this.#context.idleTimeout} ms, closing with ${CloseCode.GOING_AWAY}`,
      );
      this.#finish(CloseCode.GOING_AWAY, 'idle');
    }, this.#context.idleTimeout);
    this.#idleTimer.unref();
  }

  #stopIdleTimer(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #finish(code: number, reason: string): void {
    if (this.#closeCode !== null) return;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#closing = null;
    this.#stopIdleTimer();
    this.endForView(true);
    this.#context.forget(this);
    this.#resolveEnded();
    this.#transport?.wake();
  }
}

const RESUME_FAILED = { code: CloseCode.TRY_AGAIN_LATER, reason: 'messages lost, start over' };

function toEvent(message: Outgoing): ServerSentEvent {
  return typeof message.data === 'string'
    ? { id: message.seq, data: message.data }
    : { id: message.seq, event: StreamEvent.BINARY, data: message.data.toString('base64') };
}

function refused(state: string): Promise<void> {
  const promise = Promise.reject(new WebSocketClosed(`Cannot send on a WebSocket that is ${state}`));
  promise.catch(() => undefined);
  return promise;
}
