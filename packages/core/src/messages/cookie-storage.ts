import { BadSignature } from '../exceptions';
import type { HttpResponse } from '../http/response';
import { Signer } from '../signing';
import { BaseStorage, type Retrieved } from './base-storage';
import { toStored, type Message, type StoredMessage } from './message';

const SALT = 'manouche.messages';

/**
 * Django's `CookieStorage`: messages kept in a signed `messages` cookie (JSON, base64url, signed with
 * `SECRET_KEY`; a tampered cookie is ignored and dropped), with the session cookie's domain, `Secure`,
 * `HttpOnly` and `SameSite` settings, for the browser session.
 *
 * A cookie is kept under {@link CookieStorage.maxCookieSize} bytes (2048, Django's, so several fit
 * in a browser's limits): when the messages don't fit, the oldest are dropped until they do (one
 * warning line per response names how many), as Django does. `FallbackStorage` drops the newest
 * instead and keeps them in the session.
 */
export class CookieStorage extends BaseStorage {
  /** The cookie's name. */
  readonly cookieName: string = 'messages';
  /** The largest cookie value written, in bytes as sent. */
  readonly maxCookieSize: number = 2048;
  /** Ends a cookie that could not hold every message, so the next storage is read too. */
  static readonly NOT_FINISHED = '__messagesnotfinished__';

  override retrieve(): Retrieved {
    const data = this.request.COOKIES[this.cookieName];
    if (data === undefined) return { messages: null, allRetrieved: true };
    const decoded = this.#decode(data);
    if (decoded === null) {
      // Marked as read, so the response drops the bad cookie, as Django does.
      this.used = true;
      return { messages: null, allRetrieved: true };
    }
    const finished = decoded.at(-1) !== CookieStorage.NOT_FINISHED;
    return { messages: this.revive(finished ? decoded : decoded.slice(0, -1)), allRetrieved: finished };
  }

  override persist(messages: Message[], response: HttpResponse, removeOldest = true): Message[] {
    const stored = messages.map(toStored);
    let value = messages.length > 0 ? this.#encode(stored) : '';
    let unstored: Message[] = [];
    if (value !== '' && this.#tooLarge(value)) {
      // How many to give up: the fewest whose removal (plus the "not finished" mark) makes it fit. The
      // size only shrinks as more are given up, so a binary search finds it in a few encodings.
      const encodeKeeping = (count: number): string => {
        const kept = removeOldest ? stored.slice(stored.length - count) : stored.slice(0, count);
        return this.#encode([...kept, CookieStorage.NOT_FINISHED]);
      };
      let low = 0;
      let high = stored.length - 1;
      while (low < high) {
        const middle = Math.ceil((low + high) / 2);
        if (this.#tooLarge(encodeKeeping(middle))) high = middle - 1;
        else low = middle;
      }
      value = encodeKeeping(low);
      unstored = removeOldest ? messages.slice(0, messages.length - low) : messages.slice(low);
    }
    this.#updateCookie(value, response);
    return unstored;
  }

  #updateCookie(value: string, response: HttpResponse): void {
    const settings = this.request.app!.settings;
    const domain = settings.SESSION_COOKIE_DOMAIN ?? undefined;
    if (value !== '') {
      response.setCookie(this.cookieName, value, {
        domain,
        secure: settings.SESSION_COOKIE_SECURE,
        httpOnly: settings.SESSION_COOKIE_HTTPONLY,
        sameSite: settings.SESSION_COOKIE_SAMESITE,
      });
    } else if (this.request.COOKIES[this.cookieName] !== undefined) {
      response.deleteCookie(this.cookieName, {
        domain,
        sameSite: settings.SESSION_COOKIE_SAMESITE,
        secure: settings.SESSION_COOKIE_SECURE || settings.SESSION_COOKIE_SAMESITE === 'None',
      });
    }
  }

  #signer(): Signer {
    return new Signer(this.request.app?.settings.SECRET_KEY, SALT);
  }

  #encode(items: Array<StoredMessage | string>): string {
    return this.#signer().sign(Buffer.from(JSON.stringify(items)).toString('base64url'));
  }

  #decode(data: string): unknown[] | null {
    try {
      const payload = this.#signer().unsign(data);
      const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return Array.isArray(decoded) ? decoded : null;
    } catch (error) {
      if (error instanceof BadSignature || error instanceof SyntaxError) return null;
      throw error;
    }
  }

  /** Measured as the `cookie` package writes the value (percent-encoded), as Django measures it quoted. */
  #tooLarge(value: string): boolean {
    return encodeURIComponent(value).length > this.maxCookieSize;
  }
}
