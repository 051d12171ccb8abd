import { BadRequest, ImmutableQueryDictError } from '../exceptions';

/**
 * Django's `QueryDict`: a multi-valued map from a query string or a form body. `get` gives the last
 * value (as Django does), `getAll` every value. Immutable unless made with `{ mutable: true }`, as in
 * Django: `request.GET` and `request.POST` can't be changed by accident; `copy()` gives a mutable one.
 */
export class QueryDict {
  readonly #values: Map<string, string[]>;
  /** Whether `set`, `append`, `delete`... are allowed; `request.GET`/`POST` are not mutable. */
  readonly mutable: boolean;

  constructor(entries?: Iterable<readonly [string, string]>, options: { mutable?: boolean } = {}) {
    this.#values = new Map();
    if (entries) for (const [key, value] of entries) this.#add(key, value);
    this.mutable = options.mutable ?? false;
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

  /** Adds a value to `key`'s values. */
  append(key: string, value: string): void {
    this.#assertMutable();
    this.#add(key, value);
  }

  /** Replaces every value of `key`. */
  set(key: string, value: string): void {
    this.#assertMutable();
    this.#values.set(key, [value]);
  }

  /** Replaces every value of `key` with `values` (Django's `setlist`). */
  setList(key: string, values: readonly string[]): void {
    this.#assertMutable();
    this.#values.set(key, [...values]);
  }

  delete(key: string): boolean {
    this.#assertMutable();
    return this.#values.delete(key);
  }

  /** A mutable deep copy (Django's `copy()`): change it freely, the original stays as it was. */
  copy(): QueryDict {
    const copy = new QueryDict(undefined, { mutable: true });
    for (const [key, values] of this.#values) copy.#values.set(key, [...values]);
    return copy;
  }

  /** Every key with all its values (Django's `lists()`). */
  lists(): Array<[string, string[]]> {
    return [...this.#values].map(([key, values]) => [key, [...values]]);
  }

  /** The last value of each key (Django's `dict()`); the same as {@link QueryDict.toObject}. */
  dict(): Record<string, string> {
    return this.toObject();
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
  static parse(text: string, maxFields = Infinity, options: { mutable?: boolean } = {}): QueryDict {
    const dict = new QueryDict(undefined, options);
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
      dict.#add(decodeFormComponent(key), decodeFormComponent(value));
    }
    return dict;
  }

  #add(key: string, value: string): void {
    const values = this.#values.get(key);
    if (values === undefined) this.#values.set(key, [value]);
    else values.push(value);
  }

  #assertMutable(): void {
    if (!this.mutable)
      throw new ImmutableQueryDictError(
        'This QueryDict instance is immutable (request.GET and request.POST are): change a copy(), or build one with { mutable: true }',
      );
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
