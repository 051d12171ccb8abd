/**
 * What waits between a connection's peer and its view, the same over every transport (a WebSocket,
 * or the SSE and long-poll fallbacks): messages the view has not read yet, and a view waiting for one
 * (`wait`, `read`, `for await`). The connections extend it and decide the rest: when a message may be
 * queued (their limits) and when the connection has ended for the view.
 *
 * It lives in the connection object itself (no object of its own) and makes its queue and waiter
 * list on first use: an idle connection's view holds one waiter and nothing else.
 */
export type Message = string | Buffer;

// A waiting view is resumed with an iterator result: a `for await` step's promise is resolved with it
// directly (its resolve function is the waiter, no closure an idle connection would hold), a
// `wait()` unwraps it.
type Waiter = (result: IteratorResult<Message>) => void;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

// The iterator's way in (not part of the connection's API): a key only this module holds.
const NEXT_STEP = Symbol('manouche.nextStep');

export abstract class ViewQueue {
  #queue: Message[] | null = null;
  // The length of the queued messages (characters for text, bytes for binary): what they hold.
  #queuedLength = 0;
  // The views waiting: one is kept as is (the usual case: a view waits for one message at a time),
  // several in an array.
  #waiters: Waiter | Waiter[] | null = null;
  #ended = false;

  /** The next message; `null` once the connection is closed, or after `timeoutMs` (no timeout by default). */
  wait(timeoutMs?: number): Promise<Message | null> {
    const queued = this.#take();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (result: IteratorResult<Message>): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(result.done === true ? null : result.value);
      };
      this.#addWaiter(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#removeWaiter(waiter);
          resolve(null);
        }, timeoutMs);
      }
    });
  }

  /** The next queued message, or `null`; never waits. */
  read(): Message | null {
    return this.#take() ?? null;
  }

  hasMessages(): boolean {
    return this.countMessages() > 0;
  }

  countMessages(): number {
    return this.#queue?.length ?? 0;
  }

  /** `for await (const message of ws)`: every message until the connection closes. */
  [Symbol.asyncIterator](): AsyncIterator<Message> {
    // A plain iterator rather than an async generator, resolving each step's promise straight from
    // the delivery: one promise per message instead of three, which shows on an echo loop. An object
    // of a class, whose methods live on its prototype: no closures per connection.
    return new Messages(this);
  }

  /** The next step of a `for await`: resolved from the delivery. */
  [NEXT_STEP](): Promise<IteratorResult<Message>> {
    const queued = this.#take();
    if (queued !== undefined) return Promise.resolve({ done: false, value: queued });
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#addWaiter(resolve));
  }

  /** The length (characters of text, bytes of binary) of the messages waiting for the view. */
  protected get queuedLength(): number {
    return this.#queuedLength;
  }

  /** Whether the view is waiting now: a message delivered goes straight to it, never to the queue. */
  protected get viewWaiting(): boolean {
    const waiters = this.#waiters;
    return waiters !== null && (typeof waiters === 'function' || waiters.length > 0);
  }

  /** A message from the peer: to the view waiting for one, else to the queue. */
  protected toView(message: Message): void {
    const waiter = this.#takeWaiter();
    if (waiter !== undefined) {
      waiter({ done: false, value: message });
      return;
    }
    (this.#queue ??= []).push(message);
    this.#queuedLength += message.length;
  }

  /** A message left the queue for the view (a connection that stopped reading its peer may resume). */
  protected taken(): void {}

  /**
   * The connection has ended for the view: a waiting view gets `null`, and so does every later wait
   * once the queue is empty. `discard` forgets what is queued instead of letting the view read it.
   */
  protected endForView(discard: boolean): void {
    this.#ended = true;
    if (discard) {
      this.#queue = null;
      this.#queuedLength = 0;
    }
    const waiters = this.#waiters;
    this.#waiters = null;
    if (typeof waiters === 'function') waiters(DONE);
    else if (waiters !== null) for (const waiter of waiters) waiter(DONE);
  }

  #take(): Message | undefined {
    const message = this.#queue?.shift();
    if (message === undefined) return undefined;
    this.#queuedLength -= message.length;
    this.taken();
    return message;
  }

  #addWaiter(waiter: Waiter): void {
    const waiters = this.#waiters;
    if (waiters === null) this.#waiters = waiter;
    else if (typeof waiters === 'function') this.#waiters = [waiters, waiter];
    else waiters.push(waiter);
  }

  #takeWaiter(): Waiter | undefined {
    const waiters = this.#waiters;
    if (waiters === null) return undefined;
    if (typeof waiters === 'function') {
      this.#waiters = null;
      return waiters;
    }
    return waiters.shift();
  }

  #removeWaiter(waiter: Waiter): void {
    const waiters = this.#waiters;
    if (waiters === waiter) this.#waiters = null;
    else if (Array.isArray(waiters)) {
      const index = waiters.indexOf(waiter);
      if (index !== -1) waiters.splice(index, 1);
    }
  }
}

/** `for await (const message of ws)`: the queue's iterator. */
class Messages implements AsyncIterator<Message> {
  readonly #queue: ViewQueue;

  constructor(queue: ViewQueue) {
    this.#queue = queue;
  }

  next(): Promise<IteratorResult<Message>> {
    return this.#queue[NEXT_STEP]();
  }

  return(): Promise<IteratorResult<Message>> {
    return Promise.resolve(DONE);
  }
}
