import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisChannelLayer, type PresenceEvent } from '@manouche/websocket';
import type { WebSocketTestClient } from '@manouche/testing';
import { AppProcess, eventually, freePort } from './support/scale-nodes';

// Child processes start through tsx (a few seconds each on two busy cores).
jest.setTimeout(60_000);

const users = (members: { info?: { user: string } }[]): string[] =>
  members.map((member) => member.info?.user ?? '?').sort();

/** Reads `count` messages from `client`, in order of arrival. */
async function receiveAll(client: WebSocketTestClient, count: number): Promise<string[]> {
  const received: string[] = [];
  while (received.length < count) received.push(String(await client.receive()));
  return received;
}

/** Kills this prefix's stream-reading connections (the subscribers), as a network failure would. */
async function killReaders(admin: Redis, prefix: string): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${prefix}:reader:`))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]!);
  for (const id of ids) await admin.client('KILL', 'ID', id);
  return ids.length;
}

describe('three application processes on one Redis (127.0.0.1:6379)', () => {
  const prefix = `manouche-test-${randomUUID()}`;
  let nodes: AppProcess[] = [];
  const clients: WebSocketTestClient[] = [];
  const admin = new Redis('redis://127.0.0.1:6379');

  beforeAll(async () => {
    nodes = await Promise.all(
      [0, 1, 2].map(() => AppProcess.start({ PREFIX: prefix, PRESENCE_TTL: '1500' })),
    );
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  async function join(
    node: AppProcess,
    room: string,
    user: string,
  ): Promise<{ client: WebSocketTestClient; channelName: string }> {
    const joined = await node.join(room, user);
    clients.push(joined.client);
    return joined;
  }

  it('a group broadcast from one process reaches the clients of all three', async () => {
    const [ada, bob, cy] = [
      await join(nodes[0]!, 'lobby', 'ada'),
      await join(nodes[1]!, 'lobby', 'bob'),
      await join(nodes[2]!, 'lobby', 'cy'),
    ];
    await bob.client.send('hello from two');
    for (const { client } of [ada, bob, cy]) expect(await client.receive()).toBe('hello from two');
  });

  it('send() to a channel name reaches that one connection on another process, and no one else', async () => {
    const ada = await join(nodes[0]!, 'direct', 'ada');
    const bob = await join(nodes[1]!, 'direct', 'bob');
    expect(bob.channelName).toEqual(expect.any(String));
    expect(bob.channelName).not.toBe(ada.channelName);
    await ada.client.send(JSON.stringify({ to: bob.channelName, text: 'just for bob' }));
    expect(await bob.client.receive()).toBe('just for bob');
    await ada.client.receiveNothing(200);
  });

  it('a send to an unknown name or to a process that is gone is dropped and counted, not an error', async () => {
    const layer = new RedisChannelLayer({ prefix });
    try {
      const bob = await join(nodes[1]!, 'drops', 'bob');
      const [processId] = bob.channelName.split('.');
      await layer.send(`${processId}.no-such-connection`, 'lost'); // dropped by bob's process
      await layer.send('gone-process.abc', 'lost'); // no such process: dropped here
      await layer.send('not a channel name', 'lost');
      expect(layer.droppedSends).toBe(2);
      await bob.client.receiveNothing(200);
    } finally {
      await layer.close();
    }
  });

  it("groupMembers counts every process's members with their info, and a killed process's leave within the TTL", async () => {
    const observer = new RedisChannelLayer({ prefix, presenceTtl: 1500 });
    const events: PresenceEvent[] = [];
    const stop = await observer.onPresence('presence', (event) => events.push(event));
    try {
      await join(nodes[0]!, 'presence', 'ada');
      await join(nodes[1]!, 'presence', 'bob');
      const cy = await join(nodes[2]!, 'presence', 'cy');
      for (const node of nodes) expect(users(await node.members('presence'))).toEqual(['ada', 'bob', 'cy']);
      expect(await observer.groupSize('presence')).toBe(3);
      await eventually(
        async () => events.filter((event) => event.type === 'join').length,
        (joins) => joins === 3,
      );

      await nodes[2]!.stop('SIGKILL');
      const left = await eventually(
        () => nodes[0]!.members('presence'),
        (members) => members.length === 2,
      );
      expect(users(left)).toEqual(['ada', 'bob']);
      await eventually(
        async () => events.filter((event) => event.type === 'leave'),
        (leaves) => leaves.length === 1,
      );
      expect(events.find((event) => event.type === 'leave')!.member).toEqual({
        channelName: cy.channelName,
        info: { user: 'cy' },
      });
    } finally {
      stop();
      await observer.close();
    }
  });
});

describe('a subscriber connection that drops mid-stream', () => {
  const prefix = `manouche-test-${randomUUID()}`;
  let nodes: AppProcess[] = [];
  const admin = new Redis('redis://127.0.0.1:6379');

  beforeAll(async () => {
    nodes = await Promise.all([0, 1].map(() => AppProcess.start({ PREFIX: prefix })));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  });

  it('CLIENT KILL of every reader mid-stream loses no message and keeps the order', async () => {
    const count = 2000;
    const ada = await nodes[0]!.join('stream', 'ada');
    const bob = await nodes[1]!.join('stream', 'bob');
    try {
      const burst = fetch(`${nodes[0]!.url}/burst/stream/${count}/`);
      const first = await receiveAll(bob.client, 50);
      expect(await killReaders(admin, prefix)).toBe(2);
      const rest = await receiveAll(bob.client, count - 50);
      expect([...first, ...rest]).toEqual(Array.from({ length: count }, (_, index) => String(index)));
      expect(await receiveAll(ada.client, count)).toEqual(
        Array.from({ length: count }, (_, index) => String(index)),
      );
      expect((await burst).status).toBe(200);
      for (const node of nodes) expect(node.stderr.filter((line) => line.includes('trimmed'))).toEqual([]);
    } finally {
      await Promise.all([ada.client.close(), bob.client.close()]);
    }
  });
});

describe('a Redis restart (a redis-server of our own on a free port, with a password)', () => {
  const prefix = `manouche-test-${randomUUID()}`;
  const PASSWORD = `pw-${randomUUID()}`;
  let port = 0;
  let redis: ChildProcess | null = null;
  let nodes: AppProcess[] = [];

  async function startRedis(): Promise<void> {
    redis = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--requirepass',
        PASSWORD,
      ],
      {
        stdio: 'ignore',
      },
    );
    const probe = new Redis({
      port,
      password: PASSWORD,
      lazyConnect: true,
      retryStrategy: () => 20,
      maxRetriesPerRequest: null,
    });
    await probe.connect().catch(() => undefined);
    await probe.ping();
    probe.disconnect();
  }

  async function stopRedis(): Promise<void> {
    if (redis === null) return;
    const exited = once(redis, 'exit');
    redis.kill('SIGKILL');
    await exited;
    redis = null;
  }

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    const env = { PREFIX: prefix, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}`, PRESENCE_TTL: '1500' };
    nodes = await Promise.all([0, 1].map(() => AppProcess.start(env)));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await stopRedis();
  });

  it('reports a Redis it cannot reach with its URL, the password masked', async () => {
    const warnings: string[] = [];
    const closed = await freePort();
    const layer = new RedisChannelLayer({
      url: `redis://:${PASSWORD}@127.0.0.1:${closed}`,
      prefix,
      logger: { warn: (line) => warnings.push(line) },
    });
    try {
      await eventually(
        async () => warnings.length,
        (count) => count > 0,
      );
      expect(warnings[0]).toContain(`redis://***@127.0.0.1:${closed}`);
      expect(warnings.filter((line) => line.includes(PASSWORD))).toEqual([]);
    } finally {
      await layer.close();
    }
  });

  it('is survived: broadcast, send and presence work again once Redis is back, empty', async () => {
    const ada = await nodes[0]!.join('room', 'ada');
    const bob = await nodes[1]!.join('room', 'bob');
    try {
      await stopRedis();
      await startRedis();
      // Each process records its members again on its first heartbeat back.
      await eventually(
        () => nodes[0]!.members('room'),
        (members) => members.length === 2,
      );
      await ada.client.send('after the restart');
      expect(await bob.client.receive()).toBe('after the restart');
      expect(await ada.client.receive()).toBe('after the restart');
      await bob.client.send(JSON.stringify({ to: ada.channelName, text: 'direct, after the restart' }));
      expect(await ada.client.receive()).toBe('direct, after the restart');
      const logged = nodes.flatMap((node) => node.stderr);
      expect(logged.filter((line) => line.includes(PASSWORD))).toEqual([]);
    } finally {
      await Promise.all([ada.client.close(), bob.client.close()]);
    }
  });
});
