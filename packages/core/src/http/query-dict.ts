import { BadRequest } from '../exceptions';

/**
 * Django's `QueryDict`: a multi-valued map from a query string or a form body. `get` gives the last
 * value (as Django does), `getAll` every value.
 */
export class QueryDict {
  readonly #values: Map<string, string[]>;

  constructor(entries?: Iterable<readonly [string, string]>) {
    this.#values = new Map();
    if (entries) for (const [key, value] of entries) this.append(key, value);
  }

  /** The last value for `key`, or `fallback` (default `null`) when absent. */
  get(key: string): string | null;
  get<T>(key: string, fallback: T): string | T;
  get<T>(key: string, fallback: T | null = null): string | T | null {
    const values = this.#values.get(key);
    return values === undefined ? fallback : values[values.length - 1]!;
  }

  /** Every value for `key`, in order; empty when absent. */
  getAll(key: string): string[] {
    return [...(this.#values.get(key) ?? [])];
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  append(key: string, value: string): void {
    const values = this.#values.get(key);
    if (values === undefined) this.#values.set(key, [value]);
    else values.push(value);
  }

  /** Replaces every value of `key`. */
  set(key: string, value: string): void {
    this.#values.set(key, [value]);
  }

  delete(key: string): boolean {
    return this.#values.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#values.keys();
  }

  get size(): number {
    return this.#values.size;
  }

  /** Every `[key, value]` pair, a repeated key once per value. */
  *entries(): IterableIterator<[string, string]> {
    for (const [key, values] of this.#values) for (const value of values) yield [key, value];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /**
   * An object of the last value of each key (handy for JSON and templates). It has no prototype, so a
   * key such as `__proto__` or `constructor` is an ordinary key, and a key that was not sent is absent.
   */
  toObject(): Record<string, string> {
    const result = Object.create(null) as Record<string, string>;
    for (const [key, values] of this.#values) result[key] = values[values.length - 1]!;
    return result;
  }

  /** Encodes back to `a=1&b=2`. */
  urlencode(): string {
    const parts: string[] = [];
    for (const [key, value] of this.entries())
      parts.push(`${encodeFormComponent(key)}=${encodeFormComponent(value)}`);
    return parts.join('&');
  }

  /**
   * Parses `application/x-www-form-urlencoded` text (a query string or a form body). Malformed
   * percent-escapes are a {@link BadRequest}, not a silent guess; more than `maxFields` fields too
   * (Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS`).
   */
  static parse(text: string, maxFields = Infinity): QueryDict {
    const dict = new QueryDict();
    if (text === '') return dict;
    let fields = 0;
    for (const part of text.split('&')) {
      if (part === '') continue;
      if (++fields > maxFields) {
        throw new BadRequest(
          `The number of GET/POST parameters exceeded ${maxFields} (DATA_UPLOAD_MAX_NUMBER_FIELDS)`,
        );
      }
      const eq = part.indexOf('=');
      const key = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      dict.append(decodeFormComponent(key), decodeFormComponent(value));
    }
    return dict;
  }
}

function decodeFormComponent(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new BadRequest(`Malformed percent-encoding in ${JSON.stringify(text.slice(0, 100))}`);
  }
}

function encodeFormComponent(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}
