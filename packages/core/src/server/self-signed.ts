import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from './transports';

/**
 * A self-signed certificate (and its key) for local HTTPS, made by the `openssl` command line tool:
 * a P-256 key, valid `days` days, for `localhost`, `127.0.0.1` and `::1` (and any other `hosts`).
 * For development and tests only: browsers and clients trust it only when told to.
 *
 * `openssl` rather than a JavaScript library: it is on every machine that has Node's own TLS
 * (Node is built against OpenSSL), it makes a real key in milliseconds, and it adds no dependency
 * to the package for a development convenience.
 */
export function createSelfSignedCertificate(hosts: readonly string[] = [], days = 30): TlsOptions {
  const names = [
    'DNS:localhost',
    'IP:127.0.0.1',
    'IP:::1',
    ...hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`)),
  ];
  const directory = mkdtempSync(join(tmpdir(), 'manouche-cert-'));
  try {
    const keyFile = join(directory, 'key.pem');
    const certFile = join(directory, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        '/CN=localhost',
        '-addext',
        `subjectAltName=${names.join(',')}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
