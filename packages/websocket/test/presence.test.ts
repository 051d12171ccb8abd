import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createApp, HttpResponse, path, type Application } from '@manouche/core';
import {
  acceptWebsocket,
  channelNameOf,
  getChannelLayer,
  InMemoryChannelLayer,
  RedisChannelLayer,
  WebSocketMiddleware,
  type GroupMember,
  type PresenceEvent,
} from '@manouche/websocket';
import { LiveServer, WebSocketTestClient } from '@manouche/testing';
import { MemoryLogger, until } from './support/serve';

/** A member that records what it is sent, and leaves when `leave()` is called. */
function recorder(): GroupMember & { received: string[]; leave(): void } {
  let leave!: () => void;
  const received: string[] = [];
  return {
    received,
    send: async (data) => void received.push(String(data)),
    ended: new Promise<void>((resolve) => (leave = resolve)),
    leave: () => leave(),
  };
}

describe('channel names and send() on the in-memory layer', () => {
  const app = createApp({
    ROOT_URLCONF: [
      path(
        'named/',
        acceptWebsocket(async (request) => {
          const ws = request.websocket;
          if (ws === null) return new HttpResponse('WebSocket only');
          await getChannelLayer(request.app as Application).groupAdd('named', ws, { user: 'ada' });
          await ws.send(ws.channelName);
          expect(ws.channelName).toBe(ws.channelName);
          for await (const message of ws) await ws.send(`echo ${String(message)}`);
        }),
      ),
    ],
    MIDDLEWARE: [WebSocketMiddleware],
    LOGGER: { info() {}, warn() {}, error() {} },
  });
  const server = new LiveServer(app);
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  async function connect(): Promise<{ client: WebSocketTestClient; channelName: string }> {
    const client = new WebSocketTestClient(`${server.wsUrl}/named/`, { timeoutMs: 5000 });
    expect((await client.connect()).accepted).toBe(true);
    return { client, channelName: String(await client.receive()) };
  }

  it('gives every connection its own unguessable channel name, the same each time it is read', async () => {
    const [ada, bob] = [await connect(), await connect()];
    expect(ada.channelName).toMatch(/^[\w-]{12}\.[\w-]{16}$/);
    expect(bob.channelName).not.toBe(ada.channelName);
    expect(ada.channelName.split('.')[0]).toBe(bob.channelName.split('.')[0]);
    await Promise.all([ada.client.close(), bob.client.close()]);
  });

  it('send() reaches the one connection named, as text or bytes', async () => {
    const [ada, bob] = [await connect(), await connect()];
    const layer = getChannelLayer(app);
    await layer.send(bob.channelName, 'for bob');
    await layer.send(bob.channelName, Buffer.from([7, 8]));
    expect(await bob.client.receive()).toBe('for bob');
    expect(await bob.client.receive()).toEqual(Buffer.from([7, 8]));
    await ada.client.receiveNothing(100);
    await Promise.all([ada.client.close(), bob.client.close()]);
  });

  it('drops and counts a send to an unknown name or to a connection that closed, never throwing', async () => {
    const ada = await connect();
    const layer = getChannelLayer(app);
    const before = layer.droppedSends;
    await ada.client.close();
    await until(() => layer.localMembers('named').size === 0);
    await expect(layer.send(ada.channelName, 'too late')).resolves.toBeUndefined();
    await expect(layer.send('nobody.here', 'lost')).resolves.toBeUndefined();
    await expect(layer.send('', 'lost')).resolves.toBeUndefined();
    expect(layer.droppedSends - before).toBe(3);
  });

  it('groupMembers shows each connection with the info given to groupAdd', async () => {
    const ada = await connect();
    const layer = getChannelLayer(app);
    expect(await layer.groupMembers('named')).toEqual([
      { channelName: ada.channelName, info: { user: 'ada' } },
    ]);
    expect(await layer.groupSize('named')).toBe(1);
    await ada.client.close();
  });
});

describe('presence on the in-memory layer', () => {
  it('reports joins and leaves (discarded or ended) to listeners of the group only', async () => {
    const logger = new MemoryLogger();
    const layer = new InMemoryChannelLayer({ logger });
    const events: PresenceEvent[] = [];
    const others: PresenceEvent[] = [];
    const stop = await layer.onPresence('room', (event) => events.push(event));
    await layer.onPresence('elsewhere', (event) => others.push(event));
    await layer.onPresence('room', () => {
      throw new Error('a listener\nthat throws');
    });
    const [ada, bob] = [recorder(), recorder()];
    await layer.groupAdd('room', ada, { user: 'ada' });
    await layer.groupAdd('room', ada, { user: 'ada' });
    await layer.groupAdd('room', bob);
    expect(await layer.groupSize('room')).toBe(2);
    await layer.groupDiscard('room', ada);
    bob.leave();
    await bob.ended;
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([
      { type: 'join', group: 'room', member: { channelName: channelNameOf(ada), info: { user: 'ada' } } },
      { type: 'join', group: 'room', member: { channelName: channelNameOf(bob) } },
      { type: 'leave', group: 'room', member: { channelName: channelNameOf(ada), info: { user: 'ada' } } },
      { type: 'leave', group: 'room', member: { channelName: channelNameOf(bob) } },
    ]);
    expect(others).toEqual([]);
    expect(await layer.groupMembers('room')).toEqual([]);
    // One line per throw, the user's text escaped.
    expect(logger.messages()).toHaveLength(4);
    expect(logger.messages()[0]).toContain('a listener\\nthat throws');
    stop();
    await layer.groupAdd('room', ada);
    expect(events).toHaveLength(4);
  });
});

describe('RedisChannelLayer replay across a dropped reader (real Redis on 127.0.0.1:6379)', () => {
  const admin = new Redis('redis://127.0.0.1:6379');
  afterAll(() => admin.disconnect());

  async function killReaders(prefix: string): Promise<void> {
    const list = (await admin.client('LIST')) as string;
    for (const line of list.split('\n').filter((entry) => entry.includes(` name=${prefix}:reader:`))) {
      await admin.client('KILL', 'ID', /(?:^|\s)id=(\d+)/.exec(line)![1]!);
    }
  }

  async function cleanUp(prefix: string): Promise<void> {
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
  }

  it('replays what was sent while the reader was away, in order, within the window', async () => {
    const prefix = `manouche-test-${randomUUID()}`;
    // The reader comes back only after a while, so the messages below are all sent while it is away.
    const reader = new RedisChannelLayer({ prefix, capacity: 10_000, redis: { retryStrategy: () => 500 } });
    const sender = new RedisChannelLayer({ prefix });
    const member = recorder();
    try {
      await reader.groupAdd('replayed', member);
      await sender.groupSend('replayed', 'before');
      await until(() => member.received.length === 1);
      await killReaders(prefix);
      const sent = Array.from({ length: 300 }, (_, index) => `while away ${index}`);
      for (const message of sent) await sender.groupSend('replayed', message);
      await until(() => member.received.length === 301);
      expect(member.received).toEqual(['before', ...sent]);
      expect(reader.missedMessages).toBe(0);
    } finally {
      await Promise.all([reader.close(), sender.close()]);
      await cleanUp(prefix);
    }
  });

  it('leaves out a member discarded while its groupAdd was still waiting for Redis', async () => {
    const prefix = `manouche-test-${randomUUID()}`;
    const layer = new RedisChannelLayer({ prefix });
    const member = recorder();
    try {
      const adding = layer.groupAdd('undone', member, { user: 'ada' });
      await layer.groupDiscard('undone', member);
      await adding;
      expect(layer.localMembers('undone').size).toBe(0);
      expect(await layer.groupMembers('undone')).toEqual([]);
      await layer.groupAdd('undone', member);
      expect(await layer.groupSize('undone')).toBe(1);
    } finally {
      await layer.close();
      await cleanUp(prefix);
    }
  });

  it("keeps a quiet group's members present long after its keys' expiry time, while their process heartbeats", async () => {
    const prefix = `manouche-test-${randomUUID()}`;
    // Keys of a quiet group expire after 2 x 400 ms unless the heartbeats' sweeps renew them.
    const layer = new RedisChannelLayer({ prefix, replayWindow: 200, presenceTtl: 400 });
    const member = recorder();
    try {
      await layer.groupAdd('quiet', member, { user: 'ada' });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await layer.groupMembers('quiet')).toEqual([
        { channelName: channelNameOf(member), info: { user: 'ada' } },
      ]);
    } finally {
      await layer.close();
      await cleanUp(prefix);
    }
  });

  it('past replayCapacity, logs the gap once, counts what was missed and goes on with the rest', async () => {
    const prefix = `manouche-test-${randomUUID()}`;
    const logger = new MemoryLogger();
    const reader = new RedisChannelLayer({
      prefix,
      logger,
      capacity: 10_000,
      replayCapacity: 10,
      redis: { retryStrategy: () => 500 },
    });
    const sender = new RedisChannelLayer({ prefix, replayCapacity: 10 });
    const member = recorder();
    try {
      await reader.groupAdd('trimmed', member);
      await sender.groupSend('trimmed', 'before');
      await until(() => member.received.length === 1);
      await killReaders(prefix);
      const count = 600;
      await Promise.all(
        Array.from({ length: count }, (_, index) => sender.groupSend('trimmed', String(index))),
      );
      await until(() => member.received.at(-1) === String(count - 1));
      const after = member.received.slice(1);
      expect(reader.missedMessages).toBeGreaterThan(0);
      expect(reader.missedMessages + after.length).toBe(count);
      expect(after).toEqual(
        Array.from({ length: after.length }, (_, index) => String(count - after.length + index)),
      );
      const warnings = logger
        .messages()
        .filter((line) => line.includes('trimmed before this process could read'));
      expect(warnings).toHaveLength(1);
    } finally {
      await Promise.all([reader.close(), sender.close()]);
      await cleanUp(prefix);
    }
  });
});
