import { BadHeaderError } from '../exceptions';

/** A header value as Node gives it: repeated headers other than `set-cookie` arrive joined. */
export type RawHeaderValue = string | string[] | undefined;

/**
 * The request's headers, looked up case-insensitively. A thin view over the object Node already
 * built (its keys are lower case), so nothing is copied per request. That object has
 * `Object.prototype`, so a lookup only trusts what a header can be (a string, or the array Node
 * keeps for `set-cookie`): `get('constructor')` or `get('__proto__')` finds no header, not a member.
 */
export class RequestHeaders {
  readonly #raw: Record<string, RawHeaderValue>;

  constructor(raw: Record<string, RawHeaderValue>) {
    this.#raw = raw;
  }

  /** The header's value (repeated headers joined with `, `), or `null` when absent. */
  get(name: string): string | null {
    const value: unknown = this.#raw[name.toLowerCase()];
    if (typeof value === 'string') return value;
    return Array.isArray(value) ? value.join(', ') : null;
  }

  has(name: string): boolean {
    const value: unknown = this.#raw[name.toLowerCase()];
    return typeof value === 'string' || Array.isArray(value);
  }

  /** Every header as `[lowercase name, value]`. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** The object Node parsed, lower-case keys. */
  toObject(): Record<string, RawHeaderValue> {
    return { ...this.#raw };
  }
}

/** Anything but printable ASCII and tab: the rare values that need a closer look. */
const UNUSUAL_VALUE = /[^\t\x20-\x7e]/;
/** What no header value may hold (RFC 9110 5.5): CR, LF, NUL and every other control but tab. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Beyond Latin-1: a value HTTP/1.1 can only carry encoded. */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;
/** An RFC 9110 token, the only shape a field name may have. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Throws {@link BadHeaderError} unless `name` is a field name that can go on the wire. The message
 * quotes the name with JSON escapes, so a name holding CR/LF can't forge a line in the log it reaches.
 */
function assertHeaderName(name: string): void {
  if (!TOKEN.test(name))
    throw new BadHeaderError(`Header name ${JSON.stringify(name)} is not an HTTP token (RFC 9110 5.1)`);
}

/**
 * The value as it goes on the wire (Django's `_convert_to_charset`): ASCII and Latin-1 as they are,
 * anything beyond Latin-1 MIME-encoded (RFC 2047, `=?utf-8?b?...?=`). Throws {@link BadHeaderError},
 * naming `what`, for a value with CR, LF, NUL or another control character (Django refuses newlines;
 * Node would refuse the rest when writing, with the answer already lost).
 */
function wireHeaderValue(what: string, value: string): string {
  if (!UNUSUAL_VALUE.test(value)) return value;
  const forbidden = FORBIDDEN_IN_VALUE.exec(value);
  if (forbidden !== null) {
    const code = forbidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new BadHeaderError(
      `${what} can't contain CR, LF, NUL or another control character (found U+${code})`,
    );
  }
  if (!BEYOND_LATIN1.test(value)) return value;
  // Always the base64 form: Django picks the shorter of `b` and `q`, and every decoder reads both.
  return `=?utf-8?b?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

// Response code names the same few headers over and over (`Content-Type`, `Vary`...): their lower-case
// forms are looked up rather than built again for every response. Only names that passed
// `assertHeaderName` are remembered, so a hit also means "already validated".
const CHECKED_NAMES = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 256;

/** The lower-case form of a name about to be set; throws {@link BadHeaderError} for a bad one. */
function checkedLowerCaseName(name: string): string {
  let lower = CHECKED_NAMES.get(name);
  if (lower === undefined) {
    assertHeaderName(name);
    lower = name.toLowerCase();
    if (CHECKED_NAMES.size < MAX_REMEMBERED_NAMES) CHECKED_NAMES.set(name, lower);
  }
  return lower;
}

function lowerCaseName(name: string): string {
  return CHECKED_NAMES.get(name) ?? name.toLowerCase();
}

/** Header values a user may pass to a response: a record, or pairs. */
export type HeadersInit = Record<string, string | number> | Iterable<readonly [string, string | number]>;

/**
 * A response's headers, case-insensitive like Django's `HttpResponse.headers`; the name's case of the
 * last `set` is the one written to the wire.
 */
export class ResponseHeaders {
  readonly #entries = new Map<string, [name: string, value: string]>();
  #asciiOnly = true;

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    const pairs = Symbol.iterator in init ? init : Object.entries(init);
    for (const [name, value] of pairs as Iterable<readonly [string, string | number]>) this.set(name, value);
  }

  get(name: string): string | null {
    return this.#entries.get(lowerCaseName(name))?.[1] ?? null;
  }

  /**
   * Sets the header, replacing any value it had. A value beyond Latin-1 is MIME-encoded (RFC 2047), as
   * Django does; a name that is not an HTTP token, or a value with CR, LF, NUL or another control
   * character, throws {@link BadHeaderError} naming the header.
   */
  set(name: string, value: string | number): this {
    const lower = checkedLowerCaseName(name);
    let text = typeof value === 'string' ? value : String(value);
    if (UNUSUAL_VALUE.test(text)) {
      text = wireHeaderValue(`Header ${JSON.stringify(name)}`, text);
      if (UNUSUAL_VALUE.test(text)) this.#asciiOnly = false;
    }
    this.#entries.set(lower, [name, text]);
    return this;
  }

  /** Sets the header only when it is absent (Django's `setdefault`); validated as {@link set}. */
  setDefault(name: string, value: string | number): this {
    if (!this.has(name)) this.set(name, value);
    return this;
  }

  has(name: string): boolean {
    return this.#entries.has(lowerCaseName(name));
  }

  delete(name: string): boolean {
    return this.#entries.delete(lowerCaseName(name));
  }

  /**
   * Whether every value ever set was ASCII. Node writes a string body in one piece with the head,
   * encoded as UTF-8, which would change the bytes of a Latin-1 header value; the server checks this.
   */
  get asciiOnly(): boolean {
    return this.#asciiOnly;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Every header as `[name as set, value]`. */
  *entries(): IterableIterator<[string, string]> {
    for (const entry of this.#entries.values()) yield [entry[0], entry[1]];
  }

  /** The headers as `{ name: value }`, names as set (what `writeHead` takes). */
  toObject(): Record<string, string> {
    const object: Record<string, string> = {};
    for (const entry of this.#entries.values()) {
      // Assigning `__proto__` would set the prototype and lose the header; a plain object is what
      // writeHead reads fastest, so only that one name takes the slow path.
      if (entry[0] === '__proto__') Object.defineProperty(object, entry[0], ownValue(entry[1]));
      else object[entry[0]] = entry[1];
    }
    return object;
  }

  /**
   * Copies every header but those named in `except` (lower case) into `target` under its lower-case
   * name, as HTTP/2 sends them; returns `target`.
   */
  copyLowerCaseInto<T extends Record<string, unknown>>(target: T, except: ReadonlySet<string>): T {
    for (const [lower, entry] of this.#entries) {
      if (except.has(lower)) continue;
      if (lower === '__proto__') Object.defineProperty(target, lower, ownValue(entry[1]));
      else (target as Record<string, unknown>)[lower] = entry[1];
    }
    return target;
  }

  /** Appends `name, value, name, value...` to `list` (the flat form of a raw header list). */
  appendFlat(list: string[]): string[] {
    for (const entry of this.#entries.values()) list.push(entry[0], entry[1]);
    return list;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** A property descriptor that makes an ordinary own property, as assignment would. */
function ownValue(value: string): PropertyDescriptor {
  return { value, enumerable: true, writable: true, configurable: true };
}
