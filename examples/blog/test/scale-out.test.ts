import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Application } from '@manouche/core';
import { Client, LiveServer, WebSocketTestClient } from '@manouche/testing';
import { RedisChannelLayer } from '@manouche/websocket';
import { blogOf } from '../src/app';
import type { ChatEvent } from '../src/live';
import type { Comment } from '../src/models';
import { csrfTokenFrom, makeApp, SETTINGS, waitFor } from './helpers';

// Two blog servers on one database and one Redis, as two processes behind a load balancer would be.
describe.each(SETTINGS)('live comments across two servers with %s and a RedisChannelLayer', (_name, base) => {
  const directory = mkdtempSync(join(tmpdir(), 'manouche-blog-'));
  const prefix = `blog-test-${randomUUID()}`;
  const layers = [new RedisChannelLayer({ prefix }), new RedisChannelLayer({ prefix })];
  const apps: Application[] = layers.map((layer) =>
    makeApp(base, { BLOG_DATABASE: join(directory, 'shared.sqlite3'), CHANNEL_LAYER: layer }),
  );
  const servers = apps.map((app) => new LiveServer(app));

  beforeAll(() => Promise.all(servers.map((server) => server.start())));
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    for (const app of apps) blogOf(app).close();
    await Promise.all(layers.map((layer) => layer.close()));
    rmSync(directory, { recursive: true, force: true });
  });

  it('pushes a comment added through one server to a socket open on the other', async () => {
    const ws = new WebSocketTestClient(`${servers[1]!.wsUrl}/posts/1/comments/`);
    expect((await ws.connect()).accepted).toBe(true);
    await waitFor(() => blogOf(apps[1]!).comments.count(1) === 1, 'the socket to be registered');

    const client = new Client(apps[0]!);
    const token = await csrfTokenFrom(client, '/posts/1/');
    const response = await client.post(
      '/posts/1/comments/',
      { author: 'ada', body: 'from the other server' },
      { headers: { 'X-CSRFToken': token } },
    );
    expect(response.statusCode).toBe(201);
    expect(await ws.receiveJson<Comment>(2000)).toEqual(response.json());
    await ws.close();
  });

  it('delivers a chat message said on one server to a reader connected to the other', async () => {
    const [first, second] = servers.map((server) => new WebSocketTestClient(`${server.wsUrl}/posts/1/chat/`));
    expect((await first!.connect()).accepted).toBe(true);
    expect((await second!.connect()).accepted).toBe(true);
    /** The next chat message a reader gets, skipping welcome and presence events. */
    const nextMessage = async (reader: WebSocketTestClient): Promise<ChatEvent> => {
      for (;;) {
        const event = await reader.receiveJson<ChatEvent>(2000);
        if (event.type === 'message') return event;
      }
    };
    // Both are in the room once the presence list shows them both.
    for (const reader of [first!, second!]) {
      for (;;) {
        const event = await reader.receiveJson<ChatEvent>(2000);
        if (event.type === 'presence' && event.users.length === 2) break;
      }
    }
    await first!.send('hello from the first server');
    expect(await nextMessage(second!)).toMatchObject({
      type: 'message',
      text: 'hello from the first server',
    });
    expect(await nextMessage(first!)).toMatchObject({ type: 'message', text: 'hello from the first server' });
    await Promise.all([first!.close(), second!.close()]);
  });

  it('shows the same presence list on both servers, and drops a reader who leaves from both', async () => {
    const [first, second] = servers.map((server) => new WebSocketTestClient(`${server.wsUrl}/posts/2/chat/`));
    /** The presence lists a reader gets until one has `count` names. */
    const presenceOf = async (reader: WebSocketTestClient, count: number): Promise<string[]> => {
      for (;;) {
        const event = await reader.receiveJson<ChatEvent>(5000);
        if (event.type === 'presence' && event.users.length === count) return event.users;
      }
    };
    expect((await first!.connect()).accepted).toBe(true);
    const ada = (await first!.receiveJson<ChatEvent & { type: 'welcome' }>(2000)).you;
    expect(await presenceOf(first!, 1)).toEqual([ada]);
    expect((await second!.connect()).accepted).toBe(true);
    const bob = (await second!.receiveJson<ChatEvent & { type: 'welcome' }>(2000)).you;
    const both = [ada, bob].sort();
    expect(await presenceOf(second!, 2)).toEqual(both);
    expect(await presenceOf(first!, 2)).toEqual(both);
    expect(await blogOf(apps[0]!).chat.presence(2)).toEqual(both);
    await second!.close();
    expect(await presenceOf(first!, 1)).toEqual([ada]);
    await first!.close();
  });
});
