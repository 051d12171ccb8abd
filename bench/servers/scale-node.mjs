// One of the application processes of bench/scale-out.mjs: a RedisChannelLayer with the PREFIX given.
// A WebSocket to /member/<group>/ joins that group and only listens (first it gets "joined");
// GET /send/<group>/ sends the group one message; GET /burst/<group>/<n>/ sends it "0" .. "n-1",
// awaiting each and yielding to the event loop every 20 messages.
import { setImmediate } from 'node:timers';
import { createApp, path, HttpResponse } from '@manouche/core';
import { acceptWebsocket, getChannelLayer, RedisChannelLayer } from '@manouche/websocket';

const layer = new RedisChannelLayer({ prefix: process.env.PREFIX });

const member = acceptWebsocket(async (request, { group }) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  await layer.groupAdd(group, ws);
  await ws.send('joined');
  for await (const _message of ws);
});

const send = async (_request, { group }) => {
  await getChannelLayer({ settings: app.settings }).groupSend(group, `fan ${Date.now()}`);
  return new HttpResponse('sent');
};

const burst = async (_request, { group, count }) => {
  for (let index = 0; index < count; index++) {
    await layer.groupSend(group, String(index));
    if (index % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
  }
  return new HttpResponse('sent');
};

const app = createApp({
  ROOT_URLCONF: [
    path('member/<str:group>/', member),
    path('send/<str:group>/', send),
    path('burst/<str:group>/<int:count>/', burst),
  ],
  CHANNEL_LAYER: layer,
  WEBSOCKET_PING_INTERVAL: 0,
  LOGGER: { info() {}, warn: (line) => process.stderr.write(`${line}\n`), error: console.error },
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await app.close();
  await layer.close();
  process.exit(0);
});
