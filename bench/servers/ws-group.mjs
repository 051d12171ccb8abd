// A room for the group benchmark: every WebSocket to /member/ joins group "room" and only listens;
// one to /publish/, sent a count N and a size (as often as it likes), awaits groupSend N times
// (messages of that size) and answers "published <ms>". LAYER=redis uses a RedisChannelLayer on 127.0.0.1:6379, under the key
// prefix PREFIX when given (two processes sharing one group), else one of its own.
import './cpu-probe.mjs';
import { performance } from 'node:perf_hooks';
import { createApp, path, HttpResponse } from '@manouche/core';
import { acceptWebsocket, getChannelLayer, RedisChannelLayer } from '@manouche/websocket';

const member = acceptWebsocket(async (request) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  await getChannelLayer(request.app).groupAdd('room', ws);
  await ws.send('joined');
  for await (const _message of ws);
});

const publish = acceptWebsocket(async (request) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  const layer = getChannelLayer(request.app);
  // Every message is a job, so one publisher can time many sends (ws-fanout.mjs).
  for await (const job of ws) {
    const [count, size] = String(job).split(' ').map(Number);
    const padding = 'm'.repeat(size);
    const started = performance.now();
    for (let index = 0; index < count; index++) await layer.groupSend('room', `${index} ${padding}`);
    await ws.send(`published ${(performance.now() - started).toFixed(0)}`);
  }
});

const app = createApp({
  ROOT_URLCONF: [path('member/', member), path('publish/', publish)],
  CHANNEL_LAYER:
    process.env.LAYER === 'redis'
      ? new RedisChannelLayer({ prefix: process.env.PREFIX ?? `bench-${process.pid}` })
      : null,
  LOGGER: { info() {}, warn: (line) => process.stderr.write(`${line}\n`), error: console.error },
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
