import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BadSignature, ImproperlyConfigured } from './exceptions';

const SEPARATOR = ':';

// Reading a signed cookie (the session's, on every request) costs an HMAC, and a client sends the
// same signed value request after request: each key remembers the values it has verified. Only the
// signature is remembered; the age is checked on every unsign. Keys (secret and salt) are few.
const KEYS = new Map<string, { readonly key: Buffer; readonly verified: Set<string> }>();
const MAX_REMEMBERED_KEYS = 64;
const MAX_REMEMBERED_VALUES = 4096;
const MAX_REMEMBERED_LENGTH = 512;

/**
 * Django's `TimestampSigner`: `value:timestamp:signature`, the signature an HMAC-SHA256 of the rest
 * keyed by the secret and a salt (so a value signed for sessions can't be replayed as a CSRF secret).
 */
export class Signer {
  readonly #key: Buffer;
  readonly #verified: Set<string>;

  constructor(secret: string | undefined, salt: string) {
    if (!secret) throw new ImproperlyConfigured('The SECRET_KEY setting must not be empty: signing needs it');
    const material = `${salt}signer${secret}`;
    let known = KEYS.get(material);
    if (known === undefined) {
      if (KEYS.size >= MAX_REMEMBERED_KEYS) KEYS.clear();
      known = { key: Buffer.from(material), verified: new Set() };
      KEYS.set(material, known);
    }
    this.#key = known.key;
    this.#verified = known.verified;
  }

  sign(value: string): string {
    const stamped = `${value}${SEPARATOR}${Math.floor(Date.now() / 1000).toString(36)}`;
    return `${stamped}${SEPARATOR}${this.#signature(stamped)}`;
  }

  /** The value, when the signature matches and (with `maxAgeSeconds`) it is recent enough. */
  unsign(signed: string, maxAgeSeconds?: number): string {
    const cut = signed.lastIndexOf(SEPARATOR);
    if (cut === -1) throw new BadSignature('No separator found in the signed value');
    const stamped = signed.slice(0, cut);
    if (!this.#verified.has(signed)) {
      const expected = Buffer.from(this.#signature(stamped));
      const given = Buffer.from(signed.slice(cut + 1));
      if (expected.length !== given.length || !timingSafeEqual(expected, given))
        throw new BadSignature('Signature does not match');
      this.#remember(signed);
    }
    const stampCut = stamped.lastIndexOf(SEPARATOR);
    const timestamp = parseInt(stamped.slice(stampCut + 1), 36);
    if (maxAgeSeconds !== undefined && Date.now() / 1000 - timestamp > maxAgeSeconds) {
      throw new BadSignature(`Signature is older than ${maxAgeSeconds} seconds`);
    }
    return stamped.slice(0, stampCut);
  }

  /** A value whose signature matched: the same client sends it again with every request. */
  #remember(signed: string): void {
    // Bounded, so values (each verified, so each signed by us) can't grow it without end: it starts
    // over when full. Long values are not worth the memory.
    if (signed.length > MAX_REMEMBERED_LENGTH) return;
    if (this.#verified.size >= MAX_REMEMBERED_VALUES) this.#verified.clear();
    this.#verified.add(signed);
  }

  #signature(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
  }
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random string of `length` letters and digits, from the CSPRNG. */
export function randomString(length: number, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length);
  let result = '';
  // 62 doesn't divide 256; the bias of `% 62` is below 2^-6 per character and irrelevant for tokens
  // this long, but rejection keeps it exact.
  for (let index = 0; result.length < length; index++) {
    if (index === bytes.length) return result + randomString(length - result.length, alphabet);
    const byte = bytes[index]!;
    if (byte < 256 - (256 % alphabet.length)) result += alphabet[byte % alphabet.length];
  }
  return result;
}

let defaultSecret: string | undefined;

/**
 * Called by `createApp`: signed cookies set without an explicit secret use the `SECRET_KEY` of the
 * most recently created application (as `reverse()` answers from its URL conf).
 */
export function setDefaultSecret(secret: string | undefined): void {
  defaultSecret = secret;
}

/**
 * The signer of a signed cookie (Django's `get_cookie_signer`): keyed by the secret, salted by the
 * cookie's name and `salt`, so a value signed for one cookie can't be replayed as another.
 */
export function cookieSigner(name: string, salt = '', secret: string | undefined = defaultSecret): Signer {
  return new Signer(secret, `manouche.signing.cookie:${name}${salt}`);
}
