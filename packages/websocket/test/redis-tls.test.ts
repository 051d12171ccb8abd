import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisChannelLayer, type GroupMember } from '@manouche/websocket';
import { until } from './support/serve';
import { freePort } from './support/scale-nodes';

// A redis-server of the test's own, TLS only, with a certificate made for it by openssl.
describe('RedisChannelLayer over TLS (rediss://) with a password', () => {
  const directory = mkdtempSync(join(tmpdir(), 'manouche-tls-'));
  const password = `pw-${randomUUID()}`;
  let port = 0;
  let redis: ChildProcess | null = null;
  let ca: Buffer;

  beforeAll(async () => {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(directory, 'key.pem'),
      '-out',
      join(directory, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    ca = readFileSync(join(directory, 'cert.pem'));
    port = await freePort();
    redis = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        join(directory, 'cert.pem'),
        '--tls-key-file',
        join(directory, 'key.pem'),
        '--tls-ca-cert-file',
        join(directory, 'cert.pem'),
        '--tls-auth-clients',
        'no',
        '--requirepass',
        password,
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(`rediss://:${password}@127.0.0.1:${port}`, {
      tls: { ca },
      retryStrategy: () => 20,
      maxRetriesPerRequest: null,
    });
    await probe.ping();
    probe.disconnect();
  }, 30_000);

  afterAll(async () => {
    if (redis !== null) {
      const exited = once(redis, 'exit');
      redis.kill('SIGKILL');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  });

  it('carries group messages and presence between two layers', async () => {
    const options = { url: `rediss://:${password}@127.0.0.1:${port}`, prefix: 'tls', redis: { tls: { ca } } };
    const [one, two] = [new RedisChannelLayer(options), new RedisChannelLayer(options)];
    const received: string[] = [];
    const member: GroupMember = {
      send: async (data) => void received.push(String(data)),
      ended: new Promise<void>(() => undefined),
    };
    try {
      await one.groupAdd('secure', member, { user: 'ada' });
      await two.groupSend('secure', 'over TLS');
      await until(() => received.length === 1);
      expect(received).toEqual(['over TLS']);
      expect(await two.groupMembers('secure')).toEqual([
        { channelName: expect.any(String), info: { user: 'ada' } },
      ]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
