import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { SessionData } from './sessions-session';
import type { SessionStore } from './sessions';

/** The most a compressed session may inflate to: a forged or corrupt cookie can't exhaust memory. */
const MAX_INFLATED_BYTES = 64 * 1024;
/** The mark of a compressed payload (Django marks its compressed signed values with a leading dot). */
const COMPRESSED = '.';

/** What the cookie carries: the data and when it expires (ms since the epoch). */
interface Payload {
  readonly d: SessionData;
  readonly e: number;
}

/**
 * Django's `signed_cookies` session backend: the whole session lives in the `sessionid` cookie, as
 * JSON (compressed when that is shorter), signed with `SECRET_KEY` by `SessionMiddleware` like any
 * session key. Nothing is kept on the server. Django's caveats hold:
 *
 * - The data is signed, not encrypted: the user can read it. Keep secrets out of it.
 * - A cookie can't be revoked: `flush()` (logout) clears this browser's cookie, but a copy taken
 *   before stays valid until it expires. Keep `SESSION_COOKIE_AGE` short.
 * - Browsers drop cookies over 4096 bytes (one warning line when a session grows past it), and the
 *   cookie travels with every request.
 * - Anyone who learns `SECRET_KEY` can forge any session.
 */
export class SignedCookieSessionStore implements SessionStore {
  /** The cookie value is the data itself. */
  keyFor(data: SessionData, expiresAt: Date): string {
    const json = Buffer.from(JSON.stringify({ d: data, e: expiresAt.getTime() } satisfies Payload));
    const compressed = deflateRawSync(json);
    return compressed.length < json.length
      ? COMPRESSED + compressed.toString('base64url')
      : json.toString('base64url');
  }

  /** The data the key (the cookie, already verified) carries; `null` when expired or unreadable. */
  load(key: string): SessionData | null {
    try {
      const raw = key.startsWith(COMPRESSED)
        ? inflateRawSync(Buffer.from(key.slice(1), 'base64url'), { maxOutputLength: MAX_INFLATED_BYTES })
        : Buffer.from(key, 'base64url');
      const payload = JSON.parse(raw.toString('utf8')) as Partial<Payload>;
      if (typeof payload !== 'object' || payload === null || typeof payload.d !== 'object') return null;
      if (typeof payload.e !== 'number' || payload.e <= Date.now()) return null;
      return payload.d;
    } catch {
      return null; // signed by us yet unreadable (an older format): no session, as Django does
    }
  }

  /** Nothing to keep: the response's cookie carries the data. */
  save(): void {}

  /** Nothing to forget: the middleware deletes the cookie. */
  delete(): void {}
}
