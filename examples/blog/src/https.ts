import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCertificate, type TlsOptions } from '@manouche/core';

/** Where `BLOG_HTTPS=1` keeps its certificate: `examples/blog/.cert/` (git ignores it). */
export const CERTIFICATE_DIR = join(__dirname, '..', '.cert');

/**
 * The blog's certificate for `localhost`, `127.0.0.1` and `::1`: made on first use with
 * `createSelfSignedCertificate()` (the `openssl` tool, which is wherever Node's TLS is, so nothing to
 * install) and kept for a year in {@link CERTIFICATE_DIR}, so a browser told to trust it once keeps
 * trusting it across restarts.
 */
export function localCertificate(directory = CERTIFICATE_DIR): TlsOptions & { created: boolean } {
  const certFile = join(directory, 'localhost.pem');
  const keyFile = join(directory, 'localhost-key.pem');
  if (existsSync(certFile) && existsSync(keyFile))
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), created: false };
  const { cert, key } = createSelfSignedCertificate([], 365);
  mkdirSync(directory, { recursive: true });
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { cert, key, created: true };
}
