import { parse as parseCookieHeader, serialize } from 'cookie';
import { BadHeaderError } from '../exceptions';

/** Options of `HttpResponse.setCookie`, Django's names in camelCase. */
export interface CookieOptions {
  /** Seconds until the cookie expires (also sets `Expires`, as Django does). */
  maxAge?: number;
  expires?: Date;
  path?: string;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none';
}

/**
 * Parses a `Cookie` header (with the `cookie` package: quoting and decoding rules are subtle) into an
 * object without a prototype; a name sent twice keeps its last value, as in Django; so a cookie named `__proto__` or `constructor` is an ordinary cookie
 * and a lookup of a name nobody sent is `undefined`, never a member of `Object.prototype`.
 */
export function parseCookies(header: string | null): Record<string, string> {
  if (!header) return Object.create(null) as Record<string, string>;
  const known = PARSED.get(header);
  if (known !== undefined) return copyOf(known);
  const cookies = Object.create(null) as Record<string, string>;
  // A name sent twice keeps its last value, as in Django (the parser keeps the first): the pairs are
  // handed over last first. A cookie value can't hold `;`, quoted or not, so the split is safe.
  const parsed = parseCookieHeader(header.includes(';') ? header.split(';').reverse().join(';') : header);
  for (const name in parsed) {
    const value = parsed[name];
    if (value !== undefined) cookies[name] = value;
  }
  if (header.length <= MAX_REMEMBERED_LENGTH) {
    if (PARSED.size >= MAX_REMEMBERED_HEADERS) PARSED.clear();
    PARSED.set(header, copyOf(cookies));
  }
  return cookies;
}

// A client sends the same Cookie header request after request (its session and CSRF cookies): each
// parse is remembered by the header, and a request gets a copy of its own (a view may change its
// COOKIES) for a sixth of the parse's cost. Bounded: it starts over when full, and long headers are
// not kept (at most about 2 MB).
const PARSED = new Map<string, Record<string, string>>();
const MAX_REMEMBERED_HEADERS = 1024;
const MAX_REMEMBERED_LENGTH = 1024;

function copyOf(cookies: Record<string, string>): Record<string, string> {
  const copy = Object.create(null) as Record<string, string>;
  for (const name in cookies) copy[name] = cookies[name]!;
  return copy;
}

/**
 * The `Set-Cookie` value for one cookie. Path defaults to `/`, as in Django. A name, path, domain or
 * other option that can't be written throws {@link BadHeaderError} naming the cookie (the value itself
 * is percent-encoded, so any text is fine).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const expires =
    options.expires ??
    (options.maxAge !== undefined ? new Date(Date.now() + options.maxAge * 1000) : undefined);
  try {
    return serialize(name, value, {
      maxAge: options.maxAge,
      expires,
      path: options.path ?? '/',
      domain: options.domain,
      secure: options.secure,
      httpOnly: options.httpOnly,
      sameSite: options.sameSite?.toLowerCase() as 'strict' | 'lax' | 'none' | undefined,
    });
  } catch (error) {
    throw new BadHeaderError(`Cookie ${JSON.stringify(name)} can't be set: ${whatWasInvalid(error)}`);
  }
}

/**
 * Which part the `cookie` package refused. Its messages end with the offending text, which may hold
 * CR/LF: only the part before the colon (`option path is invalid`) is kept, so the message is safe to log.
 */
function whatWasInvalid(error: unknown): string {
  if (error instanceof URIError) return 'its value is not well-formed Unicode';
  const message = error instanceof Error ? error.message : String(error);
  const colon = message.indexOf(':');
  return colon === -1 ? message : message.slice(0, colon);
}
