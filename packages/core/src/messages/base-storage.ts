import { MessageFailure } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { DEFAULT_TAGS, INFO } from './levels';
import { isStored, Message } from './message';

/** What a storage found for this request (Django's `_get()` result). */
export interface Retrieved {
  /** The messages kept for this request; `null` when the storage holds nothing at all (not even empty). */
  readonly messages: Message[] | null;
  /** False when the storage kept only part of them and the rest is in the next storage (`FallbackStorage`). */
  readonly allRetrieved: boolean;
}

const tagTables = new WeakMap<object, Readonly<Record<number, string>>>();

/**
 * Django's `BaseStorage`: this request's messages, those kept from before (read lazily) and those
 * added now. Iterating marks them read: at the response, only messages added after that are kept;
 * without an iteration, everything is kept for the next request.
 *
 * A storage of your own implements {@link BaseStorage.retrieve} and {@link BaseStorage.persist} and
 * is named in `MESSAGE_STORAGE`; one instance is made per request, with the request.
 */
export abstract class BaseStorage implements Iterable<Message> {
  /** The request whose messages these are (its cookies, its session, its application's settings). */
  readonly request: HttpRequest;
  /** True once the messages were iterated (shown). */
  used = false;
  /** True once a message was added during this request. */
  addedNew = false;
  #queued: Message[] = [];
  #loaded: Message[] | null = null;
  #level: number | null = null;

  constructor(request: HttpRequest) {
    this.request = request;
  }

  /** Reads the messages kept for this request (called at most once, when first needed). */
  abstract retrieve(): Retrieved;

  /**
   * Keeps `messages` for the next request (an empty list: forget what was kept) and returns those it
   * could not keep. `removeOldest` says which end to give up when space runs out.
   */
  abstract persist(messages: Message[], response: HttpResponse, removeOldest?: boolean): Message[];

  /** How many messages there are to show (kept and new). */
  get length(): number {
    return this.#loadedMessages().length + this.#queued.length;
  }

  [Symbol.iterator](): Iterator<Message> {
    this.used = true;
    const loaded = this.#loadedMessages();
    if (this.#queued.length > 0) {
      loaded.push(...this.#queued);
      this.#queued = [];
    }
    return loaded[Symbol.iterator]();
  }

  /**
   * Queues a message (Django's `add()`): an empty text, or a level below {@link BaseStorage.level},
   * is ignored. A level that is not a finite number is `MessageFailure`.
   */
  add(level: number, message: string, extraTags = ''): void {
    if (!message) return;
    const whole = Math.trunc(level);
    if (!Number.isSafeInteger(whole))
      throw new MessageFailure(`A message level must be an integer, not ${level}`);
    if (whole < this.level) return;
    this.addedNew = true;
    this.#queued.push(new Message(whole, message, extraTags, this.levelTag(whole)));
  }

  /** The lowest level recorded for this request: `MESSAGE_LEVEL` unless set here. */
  get level(): number {
    return this.#level ?? this.request.app?.settings.MESSAGE_LEVEL ?? INFO;
  }

  /** Sets the lowest level for this request; `null` goes back to `MESSAGE_LEVEL`. */
  set level(value: number | null) {
    this.#level = value === null ? null : Math.trunc(value);
  }

  /**
   * Keeps what must be kept (Django's `update()`): after an iteration, only the messages added since;
   * otherwise, when something was added, everything. At most `MESSAGE_MAX_STORED` are kept, the
   * newest. Returns the messages that could not be kept, oldest first.
   */
  update(response: HttpResponse): Message[] {
    if (this.used) return this.#persistAtMost(this.#queued, response);
    if (this.addedNew) return this.#persistAtMost([...this.#loadedMessages(), ...this.#queued], response);
    return [];
  }

  /** Messages from their stored form; entries of any other shape are dropped. */
  protected revive(stored: readonly unknown[]): Message[] {
    return stored
      .filter(isStored)
      .map(([level, text, extraTags = '']) => new Message(level, text, extraTags, this.levelTag(level)));
  }

  /** The class of `level`: `MESSAGE_TAGS` over Django's defaults. */
  protected levelTag(level: number): string {
    const custom = this.request.app?.settings.MESSAGE_TAGS;
    if (custom === undefined) return DEFAULT_TAGS[level] ?? '';
    let table = tagTables.get(custom);
    if (table === undefined) {
      table = { ...DEFAULT_TAGS, ...custom };
      tagTables.set(custom, table);
    }
    return table[level] ?? '';
  }

  #loadedMessages(): Message[] {
    this.#loaded ??= this.retrieve().messages ?? [];
    return this.#loaded;
  }

  #persistAtMost(messages: Message[], response: HttpResponse): Message[] {
    const limit = this.request.app?.settings.MESSAGE_MAX_STORED ?? messages.length;
    const dropped = messages.length > limit ? messages.slice(0, messages.length - limit) : [];
    return [...dropped, ...this.persist(messages.slice(dropped.length), response)];
  }
}
