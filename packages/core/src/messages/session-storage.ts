import { ImproperlyConfigured } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { Session } from '../middleware/sessions';
import { BaseStorage, type Retrieved } from './base-storage';
import { toStored, type Message } from './message';

/**
 * Django's `SessionStorage`: messages kept in `request.session` (under `_messages`), so they cost
 * nothing in the cookie but need `SessionMiddleware` before `MessageMiddleware` (else every request
 * is a 500, `ImproperlyConfigured`; `manouche check` reports `manouche.E007`).
 */
export class SessionStorage extends BaseStorage {
  /** The session key the messages are kept under. */
  readonly sessionKey: string = '_messages';
  readonly #session: Session;

  constructor(request: HttpRequest) {
    super(request);
    const session = (request as Partial<Pick<HttpRequest, 'session'>>).session;
    if (session === undefined) {
      throw new ImproperlyConfigured(
        'The session-based message storage needs SessionMiddleware: list it before MessageMiddleware in MIDDLEWARE (or MIDDLEWARE_CLASSES)',
      );
    }
    this.#session = session;
  }

  override retrieve(): Retrieved {
    const stored = this.#session.get(this.sessionKey);
    return { messages: Array.isArray(stored) ? this.revive(stored) : null, allRetrieved: true };
  }

  override persist(messages: Message[]): Message[] {
    if (messages.length > 0) this.#session.set(this.sessionKey, messages.map(toStored));
    else this.#session.delete(this.sessionKey);
    return [];
  }
}
