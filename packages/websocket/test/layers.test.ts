import { randomUUID } from 'node:crypto';
import { createApp, HttpResponse, path, type Application } from '@manouche/core';
import {
  acceptWebsocket,
  getChannelLayer,
  InMemoryChannelLayer,
  RedisChannelLayer,
  WebSocketMiddleware,
  type ChannelLayer,
} from '@manouche/websocket';
import { LiveServer, WebSocketTestClient } from '@manouche/testing';

/** A chat room: every socket joins the group named in the URL and stays until it closes. */
function roomApp(layer: ChannelLayer | null): Application {
  const room = acceptWebsocket(async (request, { name }: { name: string }) => {
    const ws = request.websocket;
    if (ws === null) return new HttpResponse('WebSocket only');
    const channels = getChannelLayer(request.app as Application);
    await channels.groupAdd(name, ws);
    await ws.send('joined');
    for await (const message of ws) await channels.groupSend(name, message);
  });
  return createApp({
    ROOT_URLCONF: [path('rooms/<str:name>/', room)],
    MIDDLEWARE: [WebSocketMiddleware],
    CHANNEL_LAYER: layer,
    LOGGER: { info() {}, warn() {}, error() {} },
  });
}

async function join(server: LiveServer, room: string): Promise<WebSocketTestClient> {
  const client = new WebSocketTestClient(`${server.wsUrl}/rooms/${room}/`, { timeoutMs: 5000 });
  expect((await client.connect()).accepted).toBe(true);
  expect(await client.receive()).toBe('joined');
  return client;
}

describe('InMemoryChannelLayer', () => {
  const server = new LiveServer(roomApp(null));
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('is the default: a message sent to a group reaches every member, text as text', async () => {
    const [ada, bob] = [await join(server, 'lobby'), await join(server, 'lobby')];
    await ada.send('hello all');
    expect(await ada.receive()).toBe('hello all');
    expect(await bob.receive()).toBe('hello all');
    await Promise.all([ada.close(), bob.close()]);
  });

  it('keeps binary messages binary', async () => {
    const ada = await join(server, 'bytes');
    await ada.send(Buffer.from([1, 2, 3]));
    expect(await ada.receive()).toEqual(Buffer.from([1, 2, 3]));
    await ada.close();
  });

  it('does not deliver to other groups, nor to members that left', async () => {
    const layer = new InMemoryChannelLayer();
    const received: string[] = [];
    let leave!: () => void;
    const member = {
      send: async (data: string | Buffer) => void received.push(String(data)),
      ended: new Promise<void>((resolve) => (leave = resolve)),
    };
    await layer.groupAdd('a', member);
    await layer.groupSend('b', 'not for a');
    await layer.groupSend('a', 'for a');
    leave();
    await member.ended;
    await new Promise((resolve) => setImmediate(resolve));
    await layer.groupSend('a', 'after leaving');
    expect(received).toEqual(['for a']);
    expect(layer.localMembers('a').size).toBe(0);
  });
});

describe('RedisChannelLayer (real Redis on 127.0.0.1:6379)', () => {
  const prefix = `manouche-test-${randomUUID()}`;
  const layers = [new RedisChannelLayer({ prefix }), new RedisChannelLayer({ prefix })];
  const servers = layers.map((layer) => new LiveServer(roomApp(layer)));
  beforeAll(() => Promise.all(servers.map((server) => server.start())));
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all(layers.map((layer) => layer.close()));
  });

  it('delivers a group message to members connected to another server process', async () => {
    const ada = await join(servers[0]!, 'shared');
    const bob = await join(servers[1]!, 'shared');
    await bob.send('from server two');
    expect(await ada.receive()).toBe('from server two');
    expect(await bob.receive()).toBe('from server two');
    await ada.send(Buffer.from('bytes from one'));
    expect(await bob.receive()).toEqual(Buffer.from('bytes from one'));
    expect(await ada.receive()).toEqual(Buffer.from('bytes from one'));
    await Promise.all([ada.close(), bob.close()]);
  });

  it('keeps groups apart across servers', async () => {
    const ada = await join(servers[0]!, 'north');
    const bob = await join(servers[1]!, 'south');
    await bob.send('south only');
    expect(await bob.receive()).toBe('south only');
    await ada.receiveNothing(200);
    await Promise.all([ada.close(), bob.close()]);
  });

  it('forgets a member once its connection has ended', async () => {
    const ada = await join(servers[0]!, 'brief');
    await ada.close();
    const layer = layers[0]!;
    for (let attempt = 0; attempt < 50 && layer.localMembers('brief').size > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(layer.localMembers('brief').size).toBe(0);
  });
});
