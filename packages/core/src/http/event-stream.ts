/**
 * `EventStreamResponse`: Server-Sent Events (the `text/event-stream` format of the HTML standard) as a
 * streaming response. The source is read as fast as it produces, since events are live and one slow
 * client must not hold its producer back; what the client has not taken yet is bounded
 * (`EVENT_STREAM_MAX_BUFFERED`), and a quiet stream gets comment heartbeats
 * (`EVENT_STREAM_HEARTBEAT_INTERVAL`) so proxies keep it open.
 */
import { escapeForLog, type Logger } from '../log';
import type { HttpRequest } from './request';
import type { HttpResponse, ResponseInit } from './response';
import { StreamingHttpResponse } from './streaming-response';

/** One event. `data` may span lines; `event` and `id` are single-line (CR, LF and NUL are removed). */
export interface ServerSentEvent {
  data: string;
  /** The event type (`addEventListener(type)` in the browser); default `message`. */
  event?: string;
  /** Sent back by the browser as `Last-Event-ID` when it reconnects. */
  id?: string | number;
  /** How long the browser waits before reconnecting, in ms. */
  retry?: number;
}

/** What an event stream's events come from: each string is one event's data. */
export type EventSourceInput = AsyncIterable<string | ServerSentEvent> | Iterable<string | ServerSentEvent>;

/** Options of {@link EventStreamResponse}, over those of every response. */
export interface EventStreamInit extends ResponseInit {
  /** ms between heartbeat comments on a quiet stream; 0: none. Default `EVENT_STREAM_HEARTBEAT_INTERVAL`. */
  heartbeatInterval?: number;
  /** Bytes that may wait for a client that reads slowly; past it the stream ends. Default `EVENT_STREAM_MAX_BUFFERED`. */
  maxBuffered?: number;
}

/** What a stream needs from the application that serves it (the view layer hands it over). */
interface StreamSettings {
  heartbeatInterval: number;
  maxBuffered: number;
  logger: Logger | null;
  /** Names the stream in a log line. */
  label: string;
}

/** The defaults of the two settings, used until an application binds its own. */
export const DEFAULT_HEARTBEAT_INTERVAL = 15_000;
export const DEFAULT_EVENT_STREAM_MAX_BUFFERED = 1_048_576;

const LINE_BREAK = /\r\n|\r|\n/;
const SINGLE_LINE_FORBIDDEN = /[\r\n\0]/g;
/** A comment: ignored by the browser, enough for a proxy to see traffic. */
const HEARTBEAT = Buffer.from(':\n\n');
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * One event in the wire format: each line of `data` on its own `data:` line (so a newline in the data
 * can't start a field of its own), then `event`, `id` and `retry` when given.
 */
export function formatEvent(input: string | ServerSentEvent): string {
  const event: ServerSentEvent = typeof input === 'string' ? { data: input } : input;
  let text = '';
  if (event.event !== undefined && event.event !== '') text += `event: ${singleLine(String(event.event))}\n`;
  if (event.id !== undefined) text += `id: ${singleLine(String(event.id))}\n`;
  if (event.retry !== undefined && Number.isInteger(event.retry) && event.retry >= 0)
    text += `retry: ${event.retry}\n`;
  for (const line of String(event.data ?? '').split(LINE_BREAK)) text += `data: ${line}\n`;
  return `${text}\n`;
}

function singleLine(value: string): string {
  return value.replace(SINGLE_LINE_FORBIDDEN, '');
}

/**
 * A `StreamingHttpResponse` of Server-Sent Events, for the browser's `EventSource`.
 *
 * ```ts
 * new EventStreamResponse(async function* () {
 *   for await (const comment of newComments()) yield { data: JSON.stringify(comment), id: comment.id };
 * }());
 * ```
 *
 * Headers: `Content-Type: text/event-stream`, `Cache-Control: no-cache`, `X-Accel-Buffering: no`
 * (nginx passes each event on at once); `GZipMiddleware` leaves it alone. The stream starts with a
 * comment so the head reaches the client at once, and a comment goes out whenever nothing else did
 * for `heartbeatInterval` ms. When the client leaves, the source's iterator is returned at once.
 * When more than `maxBuffered` bytes of events wait for a client that is not reading, the waiting
 * events are dropped and the stream ends after the last whole event (one warning line); the browser
 * reconnects with `Last-Event-ID` and the view can send what was missed.
 */
export class EventStreamResponse extends StreamingHttpResponse {
  readonly #source: EventSourceInput;
  readonly #settings: StreamSettings;
  // What the init fixed, so an application's settings don't replace it.
  readonly #fixedHeartbeat: boolean;
  readonly #fixedMaxBuffered: boolean;

  constructor(source: EventSourceInput, init: EventStreamInit = {}) {
    const { heartbeatInterval, maxBuffered, ...responseInit } = init;
    super([], { contentType: 'text/event-stream', ...responseInit });
    this.#source = source;
    this.#fixedHeartbeat = heartbeatInterval !== undefined;
    this.#fixedMaxBuffered = maxBuffered !== undefined;
    this.#settings = {
      heartbeatInterval: heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL,
      maxBuffered: maxBuffered ?? DEFAULT_EVENT_STREAM_MAX_BUFFERED,
      logger: null,
      label: 'Event stream',
    };
    this.headers.setDefault('Cache-Control', 'no-cache');
    this.headers.setDefault('X-Accel-Buffering', 'no');
    const settings = this.#settings;
    this.streamingContent = { [Symbol.asyncIterator]: () => new EventPump(source, settings) };
  }

  /** The events' source, as given. */
  get source(): EventSourceInput {
    return this.#source;
  }

  /**
   * Takes the application's settings and logger for what the init left open (the view layer calls
   * this for every response a view returns; harmless to call again).
   */
  bindTo(request: HttpRequest): void {
    const app = request.app;
    if (app === null) return;
    if (!this.#fixedHeartbeat)
      this.#settings.heartbeatInterval = app.settings.EVENT_STREAM_HEARTBEAT_INTERVAL;
    if (!this.#fixedMaxBuffered) this.#settings.maxBuffered = app.settings.EVENT_STREAM_MAX_BUFFERED;
    this.#settings.logger = app.logger;
    this.#settings.label = `Event stream ${escapeForLog(request.path)}`;
  }
}

/** Lets an event stream answering `request` read its application's settings (a no-op for others). */
export function bindEventStream(request: HttpRequest, response: HttpResponse): void {
  if (response instanceof EventStreamResponse) response.bindTo(request);
}

/**
 * Reads the source into a queue of encoded events that the server takes from as the client reads. A
 * hand-written iterator rather than an async generator: `return()` must work while a `next()` waits
 * (the client left during a quiet spell), which a generator would only see after its pending await.
 */
class EventPump implements AsyncIterator<Buffer> {
  readonly #settings: StreamSettings;
  readonly #source: AsyncIterator<string | ServerSentEvent> | Iterator<string | ServerSentEvent>;
  #queue: Buffer[] = [HEARTBEAT];
  #queuedBytes = HEARTBEAT.length;
  #waiting: { resolve: (step: IteratorResult<Buffer>) => void; reject: (error: unknown) => void } | null =
    null;
  #failure: { error: unknown } | null = null;
  #ended = false;
  #sentSinceBeat = true;
  #timer: NodeJS.Timeout | null = null;

  constructor(source: EventSourceInput, settings: StreamSettings) {
    this.#settings = settings;
    this.#source =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    if (settings.heartbeatInterval > 0) {
      this.#timer = setInterval(() => this.#beat(), settings.heartbeatInterval);
      this.#timer.unref();
    }
    void this.#read();
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#take();
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    if (this.#failure !== null) return Promise.reject(this.#failure.error);
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** The client left (or the server stopped reading): stop everything, return the source's iterator. */
  return(): Promise<IteratorResult<Buffer>> {
    this.#finish();
    this.#queue = [];
    this.#queuedBytes = 0;
    return Promise.resolve(DONE);
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const step = await this.#source.next();
        if (this.#ended) return;
        if (step.done === true) break;
        this.#push(Buffer.from(formatEvent(step.value)));
      }
    } catch (error) {
      if (this.#ended) return;
      this.#failure = { error };
      this.#stopTimer();
      this.#ended = true;
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting?.reject(error);
      return;
    }
    this.#ended = true;
    this.#stopTimer();
    this.#wake();
  }

  #push(chunk: Buffer): void {
    this.#sentSinceBeat = true;
    const waiting = this.#waiting;
    if (waiting !== null && this.#queue.length === 0) {
      this.#waiting = null;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes > this.#settings.maxBuffered) this.#overflow();
  }

  /** The client is not reading: drop what waits for it and end the stream after its last whole event. */
  #overflow(): void {
    const message = `${this.#settings.label}: client not reading (${this.#queuedBytes} bytes waiting, over EVENT_STREAM_MAX_BUFFERED ${this.#settings.maxBuffered}); the stream is closed`;
    if (this.#settings.logger !== null) this.#settings.logger.warn(message);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#finish();
  }

  #beat(): void {
    if (!this.#sentSinceBeat && this.#queue.length === 0) this.#push(HEARTBEAT);
    this.#sentSinceBeat = false;
  }

  #take(): Buffer | null {
    const chunk = this.#queue.shift();
    if (chunk === undefined) return null;
    this.#queuedBytes -= chunk.length;
    return chunk;
  }

  #finish(): void {
    if (!this.#ended) {
      this.#ended = true;
      // Not awaited: an async generator waiting for its next event runs its `finally` once that await
      // settles; a hand-written iterator (the WebSocket fallback's) stops at once.
      try {
        const returned = this.#source.return?.();
        if (returned instanceof Promise) returned.catch(() => undefined);
      } catch {
        // The source's own cleanup failed; the stream is over either way.
      }
    }
    this.#stopTimer();
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (waiting === null || this.#queue.length > 0) return;
    this.#waiting = null;
    waiting.resolve(DONE);
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
