/**
 * `@manouche/client`: one socket for a Manouche WebSocket view, whatever the network allows. It tries
 * a WebSocket, then Server-Sent Events, then long polling (the view's `fallback` option), presents the
 * browser `WebSocket`'s surface whichever it got, and reconnects with backoff. One file, no
 * dependencies, for browsers (copy it, or import it through a bundler) and Node (pass `WebSocket` from
 * `ws`; Node 20 has `fetch` for long polling).
 */

/** The transports, in the order they are tried. */
export type Transport = 'websocket' | 'sse' | 'longpoll';

/** What a message can be sent as: text, or bytes. */
export type SendData = string | ArrayBuffer | ArrayBufferView;

/** The browser `WebSocket` constructor, or `ws`'s. */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike;
}

/** What the client uses of a WebSocket. */
export interface WebSocketLike {
  binaryType: string;
  readonly protocol: string;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** The browser `EventSource` constructor. */
export interface EventSourceConstructor {
  new (url: string, init?: { withCredentials?: boolean }): EventSourceLike;
}

/** What the client uses of an EventSource. */
export interface EventSourceLike {
  onerror: ((event: unknown) => void) | null;
  addEventListener(type: string, listener: (event: { data: string; lastEventId: string }) => void): void;
  close(): void;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The transports to try, in order; default all three. */
  transports?: Transport[];
  /** Subprotocols offered to the view. */
  protocols?: string | string[];
  /** Headers for the fallbacks' HTTP requests: the CSRF token (`{ 'X-CSRFToken': token }`) goes here. */
  headers?: Record<string, string>;
  /** Reconnect after the connection is lost (default true; never after `close()`, 1000 or 4000-4999). */
  reconnect?: boolean;
  /** The first reconnection delay in ms (default 500); it doubles up to `maxDelay` (default 15000). */
  minDelay?: number;
  maxDelay?: number;
  /** ms a transport may take to open before the next one is tried (default 5000). */
  openTimeout?: number;
  /** Defaults: the global ones; a transport whose constructor is missing is skipped. */
  WebSocket?: WebSocketConstructor;
  EventSource?: EventSourceConstructor;
}

/** A message from the view: text as a string, binary as an `ArrayBuffer`. */
export class SocketMessageEvent extends Event {
  readonly data: string | ArrayBuffer;
  constructor(data: string | ArrayBuffer) {
    super('message');
    this.data = data;
  }
}

/** The connection ended; `willReconnect` says whether the socket opens again by itself. */
export class SocketCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  readonly willReconnect: boolean;
  constructor(code: number, reason: string, wasClean: boolean, willReconnect: boolean) {
    super('close');
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
    this.willReconnect = willReconnect;
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
/** Close codes after which the client does not reconnect: the view ended the conversation. */
const NORMAL_CLOSURE = 1000;
const ABNORMAL_CLOSURE = 1006;
const APPLICATION_CODES = { from: 4000, to: 4999 };
const ALL_TRANSPORTS: readonly Transport[] = ['websocket', 'sse', 'longpoll'];
/** Attempts to take an interrupted event stream or long poll back before giving the connection up. */
const RESUME_ATTEMPTS = 3;
const RESUME_DELAY = 500;

/** What a transport tells the socket. `closed` before `opened` means the transport failed. */
interface LinkEvents {
  opened(protocol: string): void;
  message(data: string | ArrayBuffer): void;
  closed(code: number, reason: string, wasClean: boolean): void;
}

/** One logical connection over one transport. */
interface Link {
  send(data: SendData): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * A socket with the browser `WebSocket`'s surface over the best transport that works, plus
 * `transport`. It reconnects by itself after a lost connection (a `close` event with
 * `willReconnect: true`, then `open` again); pass a function as the URL to resume where you were
 * (`() => '/feed/?since=' + lastId`).
 */
export class ManoucheSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: SocketMessageEvent) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readyState: number = CONNECTING;
  /** The transport in use; `null` until the first one opens. */
  transport: Transport | null = null;
  protocol = '';

  readonly #url: () => string;
  readonly #options: ConnectOptions;
  readonly #transports: readonly Transport[];
  #link: Link | null = null;
  // Where the next attempt starts: the first transport that ever worked, so a client behind a proxy
  // that blocks WebSockets does not try one again at every reconnection.
  #best = 0;
  #failures = 0;
  #closedByUser = false;
  #retry: Timer | null = null;

  constructor(url: string | (() => string), options: ConnectOptions = {}) {
    super();
    this.#url = typeof url === 'function' ? url : () => url;
    this.#options = options;
    this.#transports = (options.transports ?? ALL_TRANSPORTS).filter((name) => ALL_TRANSPORTS.includes(name));
    this.#attempt(this.#best);
  }

  /** The URL of the current (or next) connection, absolute. */
  get url(): string {
    return absolute(this.#url());
  }

  get bufferedAmount(): number {
    return this.#link?.bufferedAmount ?? 0;
  }

  /** Sends text or bytes; throws while connecting, as a WebSocket does; ignored once closing. */
  send(data: SendData): void {
    if (this.readyState === CONNECTING) throw new Error('InvalidStateError: the socket is still connecting');
    if (this.readyState !== OPEN || this.#link === null) return;
    this.#link.send(data);
  }

  /** Closes for good: no reconnection follows. */
  close(code: number = NORMAL_CLOSURE, reason = ''): void {
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    this.#closedByUser = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    const link = this.#link;
    if (link === null) {
      this.#finalClose(code, reason, true);
      return;
    }
    this.readyState = CLOSING;
    link.close(code, reason);
  }

  // Inside ------------------------------------------------------------------------------------------

  #attempt(index: number): void {
    if (this.#closedByUser) return;
    if (index >= this.#transports.length) {
      this.#emit(new Event('error'), this.onerror);
      this.#scheduleRetry();
      return;
    }
    const transport = this.#transports[index]!;
    const open = this.#opener(transport);
    if (open === null) {
      this.#attempt(index + 1);
      return;
    }
    let settled = false;
    let link: Link | null = null;
    const giveUp = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      link?.close(NORMAL_CLOSURE, 'gave up');
      this.#attempt(index + 1);
    };
    const timer = setTimeout(giveUp, this.#options.openTimeout ?? 5000);
    link = open(this.#url(), {
      opened: (protocol) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#link = link;
        this.#best = index;
        this.#failures = 0;
        this.transport = transport;
        this.protocol = protocol;
        if (this.#closedByUser) {
          link!.close(NORMAL_CLOSURE, '');
          return;
        }
        this.readyState = OPEN;
        this.#emit(new Event('open'), this.onopen);
      },
      message: (data) => {
        if (this.#link === link && this.readyState === OPEN)
          this.#emit(new SocketMessageEvent(data), this.onmessage);
      },
      closed: (code, reason, wasClean) => {
        if (!settled) return giveUp();
        if (this.#link !== link) return;
        this.#link = null;
        this.#lost(code, reason, wasClean);
      },
    });
  }

  #opener(transport: Transport): ((url: string, events: LinkEvents) => Link) | null {
    const globals = globalThis as { WebSocket?: WebSocketConstructor; EventSource?: EventSourceConstructor };
    const protocols = this.#options.protocols ?? [];
    const list = typeof protocols === 'string' ? [protocols] : protocols;
    const headers = this.#options.headers ?? {};
    if (transport === 'websocket') {
      const WebSocketClass = this.#options.WebSocket ?? globals.WebSocket;
      return WebSocketClass ? (url, events) => webSocketLink(WebSocketClass, url, list, events) : null;
    }
    if (transport === 'sse') {
      const EventSourceClass = this.#options.EventSource ?? globals.EventSource;
      return EventSourceClass && typeof fetch === 'function'
        ? (url, events) => sseLink(EventSourceClass, url, list, headers, events)
        : null;
    }
    return typeof fetch === 'function' ? (url, events) => longPollLink(url, list, headers, events) : null;
  }

  #lost(code: number, reason: string, wasClean: boolean): void {
    const again =
      !this.#closedByUser &&
      this.#options.reconnect !== false &&
      code !== NORMAL_CLOSURE &&
      !(code >= APPLICATION_CODES.from && code <= APPLICATION_CODES.to);
    if (!again) {
      this.#finalClose(code, reason, wasClean);
      return;
    }
    this.readyState = CONNECTING;
    this.#emit(new SocketCloseEvent(code, reason, wasClean, true), this.onclose);
    this.#scheduleRetry();
  }

  #finalClose(code: number, reason: string, wasClean: boolean): void {
    this.readyState = CLOSED;
    this.#emit(new SocketCloseEvent(code, reason, wasClean, false), this.onclose);
  }

  /** The next attempt after a growing delay (doubling, with jitter so clients don't return at once). */
  #scheduleRetry(): void {
    if (this.#closedByUser || this.#options.reconnect === false) {
      if (this.readyState !== CLOSED) this.#finalClose(ABNORMAL_CLOSURE, '', false);
      return;
    }
    const base = Math.min(
      this.#options.maxDelay ?? 15_000,
      (this.#options.minDelay ?? 500) * 2 ** this.#failures,
    );
    this.#failures += 1;
    this.#retry = setTimeout(
      () => {
        this.#retry = null;
        this.#attempt(this.#best);
      },
      base * (0.5 + Math.random() / 2),
    );
  }

  #emit<E extends Event>(event: E, handler: ((event: E) => void) | null): void {
    handler?.call(this, event);
    this.dispatchEvent(event);
  }
}

/** Opens a socket to a Manouche WebSocket view: `connect('/chat/', { transports: ['websocket', 'sse'] })`. */
export function connect(url: string | (() => string), options?: ConnectOptions): ManoucheSocket {
  return new ManoucheSocket(url, options);
}

// The transports -------------------------------------------------------------------------------------

function webSocketLink(
  WebSocketClass: WebSocketConstructor,
  url: string,
  protocols: string[],
  events: LinkEvents,
): Link {
  const target = new URL(absolute(url));
  target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocketClass(target.href, protocols);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => events.opened(ws.protocol);
  ws.onmessage = (event) => events.message(event.data as string | ArrayBuffer);
  ws.onclose = (event) => events.closed(event.code, event.reason, event.wasClean);
  ws.onerror = () => undefined; // a close event follows
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}

/** Sends the client's messages as POSTs, one at a time and in order; a retried POST keeps its number. */
class Poster {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #queue: Array<{ seq: number; body: string | Uint8Array<ArrayBuffer> }> = [];
  #seq = 0;
  #sending = false;
  #stopped = false;
  bufferedAmount = 0;

  constructor(base: string, headers: Record<string, string>) {
    this.#base = base;
    this.#headers = headers;
  }

  send(data: SendData): void {
    const body = typeof data === 'string' ? data : toBytes(data);
    this.#queue.push({ seq: ++this.#seq, body });
    this.bufferedAmount += typeof body === 'string' ? body.length : body.byteLength;
    void this.#pump();
  }

  /** Tells the server the client closes; nothing queued goes after it. */
  close(code: number, reason: string): void {
    this.#stopped = true;
    void fetch(withParams(this.#base, { _close: String(code) }), {
      method: 'POST',
      headers: { ...this.#headers, 'Content-Type': 'text/plain;charset=utf-8' },
      body: reason,
      credentials: 'same-origin',
    }).catch(() => undefined);
  }

  stop(): void {
    this.#stopped = true;
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    let failures = 0;
    while (this.#queue.length > 0 && !this.#stopped) {
      const next = this.#queue[0]!;
      const text = typeof next.body === 'string';
      let status = 0;
      let retryAfter = 0;
      try {
        const response = await fetch(withParams(this.#base, { _seq: String(next.seq) }), {
          method: 'POST',
          headers: {
            ...this.#headers,
            'Content-Type': text ? 'text/plain;charset=utf-8' : 'application/octet-stream',
          },
          body: next.body,
          credentials: 'same-origin',
        });
        status = response.status;
        retryAfter = Number(response.headers.get('Retry-After') ?? 0);
      } catch {
        status = 0; // the network: try the same message again
      }
      if ((status >= 200 && status < 300) || status === 404 || status === 410 || status === 403) {
        // Taken; or the connection is gone (the receiving side notices); or refused for good.
        this.#queue.shift();
        this.bufferedAmount -= text ? (next.body as string).length : (next.body as Uint8Array).byteLength;
        failures = 0;
        continue;
      }
      failures += 1;
      await sleep(retryAfter > 0 ? retryAfter * 1000 : Math.min(5000, RESUME_DELAY * failures));
    }
    this.#sending = false;
  }
}

function sseLink(
  EventSourceClass: EventSourceConstructor,
  url: string,
  protocols: string[],
  headers: Record<string, string>,
  events: LinkEvents,
): Link {
  let id: string | null = null;
  let poster: Poster | null = null;
  let last = 0;
  let source: EventSourceLike | null = null;
  let interruptions = 0;
  let over = false;
  const finish = (code: number, reason: string, wasClean: boolean): void => {
    if (over) return;
    over = true;
    source?.close();
    poster?.stop();
    events.closed(code, reason, wasClean);
  };
  const open = (): void => {
    const params: Record<string, string> =
      id === null
        ? { _transport: 'sse', _protocols: protocols.join(',') }
        : { _transport: 'sse', _connection: id, _last: String(last) };
    const stream = new EventSourceClass(withParams(url, params));
    source = stream;
    stream.addEventListener('connected', (event) => {
      const info = JSON.parse(event.data) as { id: string; protocol: string };
      interruptions = 0;
      if (id !== null) return;
      id = info.id;
      poster = new Poster(withParams(url, { _transport: 'sse', _connection: id }), headers);
      events.opened(info.protocol);
    });
    const onMessage = (binary: boolean) => (event: { data: string; lastEventId: string }) => {
      const seq = Number(event.lastEventId);
      if (seq <= last) return; // sent again after a resumption: already delivered
      last = seq;
      events.message(binary ? fromBase64(event.data) : event.data);
    };
    stream.addEventListener('message', onMessage(false));
    stream.addEventListener('binary', onMessage(true));
    stream.addEventListener('close', (event) => {
      const notice = JSON.parse(event.data) as { code: number; reason: string };
      finish(notice.code, notice.reason, true);
    });
    stream.onerror = () => {
      // EventSource would reconnect by itself, to the URL that opens a new connection: resume instead.
      stream.close();
      if (over) return;
      if (id === null || ++interruptions > RESUME_ATTEMPTS) return finish(ABNORMAL_CLOSURE, '', false);
      setTimeout(() => {
        if (!over) open();
      }, RESUME_DELAY * interruptions);
    };
  };
  open();
  return postingLink(() => poster, finish);
}

interface PollAnswer {
  id: string;
  protocol: string;
  messages: Array<{ seq: number; text?: string; binary?: string }>;
  close?: { code: number; reason: string };
}

/**
 * The link of a fallback transport: what the page sends is POSTed by the connection's poster (made
 * once the server has given the connection its id), and closing tells the server, then ends the link.
 */
function postingLink(
  posterNow: () => Poster | null,
  finish: (code: number, reason: string, wasClean: boolean) => void,
): Link {
  return {
    send: (data) => posterNow()?.send(data),
    close: (code, reason) => {
      posterNow()?.close(code, reason);
      finish(code, reason, true);
    },
    get bufferedAmount() {
      return posterNow()?.bufferedAmount ?? 0;
    },
  };
}

function longPollLink(
  url: string,
  protocols: string[],
  headers: Record<string, string>,
  events: LinkEvents,
): Link {
  let poster: Poster | null = null;
  let last = 0;
  let over = false;
  const abort = new AbortController();
  const finish = (code: number, reason: string, wasClean: boolean): void => {
    if (over) return;
    over = true;
    abort.abort();
    poster?.stop();
    events.closed(code, reason, wasClean);
  };
  const get = async (params: Record<string, string>): Promise<PollAnswer | number> => {
    const response = await fetch(withParams(url, params), {
      headers: { ...headers, Accept: 'application/json' },
      credentials: 'same-origin',
      signal: abort.signal,
    });
    return response.ok ? ((await response.json()) as PollAnswer) : response.status;
  };
  const run = async (): Promise<void> => {
    const opened = await get({ _transport: 'longpoll', _protocols: protocols.join(',') }).catch(() => 0);
    if (typeof opened === 'number') return finish(ABNORMAL_CLOSURE, '', false);
    const params = { _transport: 'longpoll', _connection: opened.id };
    poster = new Poster(withParams(url, params), headers);
    events.opened(opened.protocol);
    let interruptions = 0;
    while (!over) {
      const answer = await get({ ...params, _last: String(last) }).catch(() => 0);
      if (over) return;
      if (typeof answer === 'number') {
        // 404: the server no longer knows the connection (restarted, or reaped it).
        if (answer === 404 || ++interruptions > RESUME_ATTEMPTS) return finish(ABNORMAL_CLOSURE, '', false);
        await sleep(RESUME_DELAY * interruptions);
        continue;
      }
      interruptions = 0;
      for (const message of answer.messages) {
        if (message.seq <= last) continue;
        last = message.seq;
        events.message(message.binary !== undefined ? fromBase64(message.binary) : (message.text ?? ''));
      }
      if (answer.close) return finish(answer.close.code, answer.close.reason, true);
    }
  };
  void run();
  return postingLink(() => poster, finish);
}

// Helpers --------------------------------------------------------------------------------------------

function absolute(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return new URL(url, base).href;
}

function withParams(url: string, params: Record<string, string>): string {
  const target = new URL(absolute(url));
  for (const [name, value] of Object.entries(params)) if (value !== '') target.searchParams.set(name, value);
  return target.href;
}

/** A copy of the bytes, so a caller reusing its buffer can't change a message waiting to go. */
function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data.slice(0))
    : new Uint8Array(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
