import { parse as parseSetCookie } from 'cookie';

/** The cookies a browser would keep for one site (path and domain rules are not needed in process). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Applies a response's `Set-Cookie` values: set, replace, or delete an expired cookie. */
  store(setCookies: Iterable<string>): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const name = pair.slice(0, eq).trim();
      const value = parseSetCookie(pair)[name] ?? '';
      if (isExpired(attributes)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  clear(): void {
    this.#cookies.clear();
  }

  /** The `Cookie` header value, or `null` when the jar is empty. */
  header(): string | null {
    if (this.#cookies.size === 0) return null;
    return [...this.#cookies].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; ');
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.#cookies);
  }
}

function isExpired(attributes: string[]): boolean {
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=').map((part) => part.trim());
    if (key.toLowerCase() === 'max-age' && Number(value) <= 0) return true;
    if (key.toLowerCase() === 'expires' && Date.parse(value) <= Date.now()) return true;
  }
  return false;
}
