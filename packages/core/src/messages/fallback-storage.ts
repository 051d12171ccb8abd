import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { BaseStorage, type Retrieved } from './base-storage';
import { CookieStorage } from './cookie-storage';
import type { Message } from './message';
import { SessionStorage } from './session-storage';

/**
 * Django's `FallbackStorage`, the default `MESSAGE_STORAGE`: messages go to the cookie
 * (`CookieStorage`) and, when they don't all fit, the newest go to the session (`SessionStorage`), so
 * the session is read only when the cookie says it holds the rest. Needs `SessionMiddleware` before
 * `MessageMiddleware`, as `SessionStorage` does.
 */
export class FallbackStorage extends BaseStorage {
  /** Tried in this order. */
  readonly storages: readonly BaseStorage[];
  readonly #holding = new Set<BaseStorage>();

  constructor(request: HttpRequest) {
    super(request);
    this.storages = [new CookieStorage(request), new SessionStorage(request)];
  }

  override retrieve(): Retrieved {
    const all: Message[] = [];
    let allRetrieved = true;
    for (const storage of this.storages) {
      const { messages, allRetrieved: complete } = storage.retrieve();
      allRetrieved = complete;
      // A storage whose data was bad marks itself used: emptying it drops a tampered cookie.
      if (storage.used || (messages !== null && messages.length > 0)) this.#holding.add(storage);
      if (messages === null) break;
      all.push(...messages);
      if (complete) break;
    }
    return { messages: all, allRetrieved };
  }

  override persist(messages: Message[], response: HttpResponse): Message[] {
    let remaining = messages;
    for (const storage of this.storages) {
      if (remaining.length > 0) {
        remaining = storage.persist(remaining, response, false);
      } else if (this.#holding.has(storage)) {
        // Nothing left for it, but it still holds what was read: empty it.
        storage.persist([], response);
        this.#holding.delete(storage);
      }
    }
    return remaining;
  }
}
