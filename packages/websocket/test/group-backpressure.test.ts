import { randomUUID } from 'node:crypto';
import { path, type HttpRequest, type WebSocketConnection } from '@manouche/core';
import {
  acceptWebsocket,
  ChannelFull,
  CloseCode,
  InMemoryChannelLayer,
  RedisChannelLayer,
  type ChannelLayer,
} from '@manouche/websocket';
import { stalledPeer } from './support/raw';
import { serve, until, type Served } from './support/serve';
import { connect, type TestSocket } from './support/ws-client';

const KIB = 1024;
const MESSAGES = 5000;
// 2 KiB each, 10 MB in all: more than the kernel's buffers take for a peer that does not read.
const PADDING = 'm'.repeat(2 * KIB);
const MAX_BUFFERED = 256 * KIB;

/**
 * A room (every socket to `/member/` joins it and reads nothing back) and a publisher (`/publish/`:
 * sent a count, it awaits `groupSend` that many times, then answers `published`), recording the
 * largest backlog any member had.
 */
async function roomServer(layer: ChannelLayer): Promise<{ served: Served; largestBacklog: () => number }> {
  let largestBacklog = 0;
  const member = acceptWebsocket(async (request: HttpRequest) => {
    const ws = request.websocket!;
    await layer.groupAdd('room', ws);
    await ws.send('joined');
    for await (const _message of ws) {
      // Members only listen.
    }
  });
  const publish = acceptWebsocket(async (request: HttpRequest) => {
    const ws = request.websocket!;
    const count = Number(await ws.wait());
    for (let index = 0; index < count; index++) {
      await layer.groupSend('room', `${index} ${PADDING}`);
      for (const joined of layer.localMembers('room')) {
        largestBacklog = Math.max(largestBacklog, (joined as WebSocketConnection).bufferedAmount);
      }
    }
    await ws.send('published');
  });
  const served = await serve({
    ROOT_URLCONF: [path('member/', member), path('publish/', publish)],
    WEBSOCKET_MAX_BUFFERED: MAX_BUFFERED,
    WEBSOCKET_CLOSE_TIMEOUT: 500,
  });
  return { served, largestBacklog: () => largestBacklog };
}

/** A member that reads everything, counting the messages and checking their order. */
async function healthyMember(served: Served): Promise<{ socket: TestSocket; received: () => number }> {
  const socket = await connect(`${served.wsUrl}/member/`);
  expect(await socket.nextText()).toBe('joined');
  let received = 0;
  let outOfOrder: string | null = null;
  socket.ws.on('message', (data: Buffer) => {
    const index = Number(data.subarray(0, data.indexOf(' ')).toString());
    if (index !== received && outOfOrder === null) outOfOrder = `message ${index} came as number ${received}`;
    received += 1;
  });
  return {
    socket,
    received: () => {
      if (outOfOrder !== null) throw new Error(outOfOrder);
      return received;
    },
  };
}

const prefix = `manouche-test-${randomUUID()}`;
const LAYERS: Array<[string, () => ChannelLayer]> = [
  ['InMemoryChannelLayer', () => new InMemoryChannelLayer()],
  ['RedisChannelLayer (real Redis on 127.0.0.1:6379)', () => new RedisChannelLayer({ prefix })],
];

describe.each(LAYERS)('%s: a group with one member that never reads', (_, makeLayer) => {
  let layer: ChannelLayer;
  let served: Served | null = null;
  afterEach(async () => {
    await served?.close();
    await layer.close();
  });

  it(`delivers ${MESSAGES} messages to the healthy members, closes the stalled one with 1013, and never holds up the publisher`, async () => {
    layer = makeLayer();
    const room = await roomServer(layer);
    served = room.served;
    const healthy = await Promise.all([1, 2, 3].map(() => healthyMember(room.served)));
    const stalled = await stalledPeer(room.served.port, '/member/');
    await until(() => layer.localMembers('room').size === 4);

    const publisher = await connect(`${room.served.wsUrl}/publish/`);
    await publisher.send(String(MESSAGES));
    expect(await publisher.nextText(14_000)).toBe('published');
    for (const member of healthy) await until(() => member.received() === MESSAGES);

    // The stalled member was cut off once its backlog passed the limit: one log line, and the group
    // forgets it once its socket is gone (WEBSOCKET_CLOSE_TIMEOUT after the close frame).
    expect(room.served.logger.at('warn')).toEqual([
      expect.stringMatching(
        /^WebSocket \/member\/: peer not reading \(\d+ bytes waiting, .*\), closing with 1013$/,
      ),
    ]);
    await until(() => layer.localMembers('room').size === 3);
    expect(room.largestBacklog()).toBeLessThanOrEqual(MAX_BUFFERED + PADDING.length + 64);
    stalled.socket.destroy();
    for (const member of healthy)
      expect((await member.socket.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
  });
});

describe('a group member that is not a WebSocket', () => {
  it('is sent at most `capacity` messages at a time; the rest are dropped, and the others still get all', async () => {
    const layer = new InMemoryChannelLayer({ capacity: 3 });
    const stuck = {
      sent: [] as string[],
      send: (data: string | Buffer) => {
        stuck.sent.push(String(data));
        return new Promise<void>(() => undefined);
      },
      ended: new Promise<void>(() => undefined),
    };
    const quick = {
      sent: [] as string[],
      send: async (data: string | Buffer) => void quick.sent.push(String(data)),
      ended: new Promise<void>(() => undefined),
    };
    await layer.groupAdd('g', stuck);
    await layer.groupAdd('g', quick);
    for (let index = 0; index < 10; index++) await layer.groupSend('g', String(index));
    expect(stuck.sent).toEqual(['0', '1', '2']);
    expect(quick.sent).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

describe('RedisChannelLayer publishCapacity', () => {
  it('rejects groupSend with ChannelFull while that many publishes wait for a Redis that does not answer', async () => {
    // Nothing listens on port 1: ioredis keeps the publishes in its offline queue while it retries.
    const layer = new RedisChannelLayer({
      url: 'redis://127.0.0.1:1',
      publishCapacity: 3,
      logger: { warn: () => undefined },
      redis: { maxRetriesPerRequest: null },
    });
    const waiting = [1, 2, 3].map((index) =>
      layer.groupSend('g', String(index)).catch((error: unknown) => error),
    );
    await expect(layer.groupSend('g', 'one too many')).rejects.toBeInstanceOf(ChannelFull);
    await layer.close();
    await Promise.all(waiting);
  });

  it('rejects send() to a connection of another process with ChannelFull the same way', async () => {
    const layer = new RedisChannelLayer({
      url: 'redis://127.0.0.1:1',
      publishCapacity: 3,
      logger: { warn: () => undefined },
      redis: { maxRetriesPerRequest: null },
    });
    const waiting = [1, 2, 3].map((index) =>
      layer.send('another-process.connection', String(index)).catch((error: unknown) => error),
    );
    await expect(layer.send('another-process.connection', 'one too many')).rejects.toBeInstanceOf(
      ChannelFull,
    );
    await layer.close();
    await Promise.all(waiting);
  });
});
