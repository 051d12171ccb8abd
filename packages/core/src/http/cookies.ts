import { parse as parseCookieHeader, serialize } from 'cookie';

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
 * object without a prototype, so a cookie named `__proto__` or `constructor` is an ordinary cookie
 * and a lookup of a name nobody sent is `undefined`, never a member of `Object.prototype`.
 */
export function parseCookies(header: string | null): Record<string, string> {
  const cookies = Object.create(null) as Record<string, string>;
  if (!header) return cookies;
  const parsed = parseCookieHeader(header);
  for (const name in parsed) {
    const value = parsed[name];
    if (value !== undefined) cookies[name] = value;
  }
  return cookies;
}

/** The `Set-Cookie` value for one cookie. Path defaults to `/`, as in Django. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const expires =
    options.expires ??
    (options.maxAge !== undefined ? new Date(Date.now() + options.maxAge * 1000) : undefined);
  return serialize(name, value, {
    maxAge: options.maxAge,
    expires,
    path: options.path ?? '/',
    domain: options.domain,
    secure: options.secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite?.toLowerCase() as 'strict' | 'lax' | 'none' | undefined,
  });
}
