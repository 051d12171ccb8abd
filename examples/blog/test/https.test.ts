import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { localCertificate } from '../src/https';

describe('localCertificate() (BLOG_HTTPS=1)', () => {
  let directory: string;
  beforeEach(() => {
    directory = join(mkdtempSync(join(tmpdir(), 'blog-cert-')), '.cert');
  });
  afterEach(() => rmSync(join(directory, '..'), { recursive: true, force: true }));

  it('makes a certificate for localhost on first use and keeps it for the next start', () => {
    const first = localCertificate(directory);
    expect(first.created).toBe(true);
    const certificate = new X509Certificate(first.cert);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const second = localCertificate(directory);
    expect(second).toEqual({ cert: first.cert, key: first.key, created: false });
  });
});
