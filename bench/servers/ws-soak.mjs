// The soak test's server: /echo/ echoes every message (awaiting each send), /room/ joins the group
// "room" and sends what it receives to the whole group. Pings every 5 s, so the liveness rules
// run all along (a shorter interval mostly measures the harness: its one process, busy with 10,000
// clients, answers pings late); the other limits are the defaults. Besides cpu-probe.mjs's questions it answers
// 'soak' with its open WebSockets and the warnings logged (stalled readers cut off with 1013).
import './cpu-probe.mjs';
import { createApp, path, HttpResponse } from '@manouche/core';
import { acceptWebsocket, getChannelLayer } from '@manouche/websocket';

let open = 0;
// The warnings logged, by kind (numbers blanked): readers cut off, peers gone silent...
const warnings = {};
process.on('message', (message) => {
  if (message === 'soak') process.send?.({ soak: { open, warnings } });
});

const echo = acceptWebsocket(async (request) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  open += 1;
  try {
    for await (const message of ws) await ws.send(message);
  } finally {
    open -= 1;
  }
});

const room = acceptWebsocket(async (request) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  const layer = getChannelLayer(request.app);
  open += 1;
  try {
    await layer.groupAdd('room', ws);
    await ws.send('joined');
    for await (const message of ws) await layer.groupSend('room', message);
  } finally {
    open -= 1;
  }
});

const app = createApp({
  ROOT_URLCONF: [path('echo/', echo), path('room/', room)],
  WEBSOCKET_PING_INTERVAL: 5000,
  // Warnings are expected (stalled readers cut off with 1013): counted, not printed.
  LOGGER: {
    info() {},
    warn(line) {
      const kind = line.replace(/\d+/g, 'N');
      warnings[kind] = (warnings[kind] ?? 0) + 1;
    },
    error: (line, error) => console.error(line, error),
  },
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
