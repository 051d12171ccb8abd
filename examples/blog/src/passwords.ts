import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// scrypt parameters (N = 2^14, r = 8, p = 1: node's defaults, about 50 ms per hash on this machine).
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64, like Django's `scrypt` hasher. */
export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** True when `password` matches `encoded`; a malformed `encoded` never matches. */
export function checkPassword(password: string, encoded: string): boolean {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every(Number.isSafeInteger)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length === 0) return false;
  const actual = scryptSync(password.normalize('NFKC'), salt, expected.length, { N: n, r, p });
  return timingSafeEqual(actual, expected);
}
