// Manouche over TLS with HTTP/2 (app.listen({ tls, http2: true })), MIDDLEWARE_COUNT pass-through
// MIDDLEWARE layers, the same hello world; and, for the WebSocket echo over both transports, an
// acceptWebsocket echo view at /ws/ behind WebSocketMiddleware. CERT and KEY name PEM files.
import './cpu-probe.mjs';
import { readFileSync } from 'node:fs';
import { createApp, HttpResponse, path } from '@manouche/core';
import { acceptWebsocket, WebSocketMiddleware } from '@manouche/websocket';

class PassThrough {
  constructor(getResponse) {
    this.getResponse = getResponse;
  }
  call(request) {
    return this.getResponse(request);
  }
}

const count = Number(process.env.MIDDLEWARE_COUNT ?? 0);
const layers = Array.from(
  { length: count },
  (_, index) => ({ [`Layer${index}`]: class extends PassThrough {} })[`Layer${index}`],
);

const echo = acceptWebsocket(async (request) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  for await (const message of ws) ws.send(message);
});

const app = createApp({
  ROOT_URLCONF: [
    path('', () => new HttpResponse('Hello, world', { contentType: 'text/plain; charset=utf-8' })),
    path('ws/', echo),
  ],
  MIDDLEWARE: [...layers, WebSocketMiddleware],
});
await app.listen({
  port: Number(process.env.PORT),
  host: '127.0.0.1',
  tls: { cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) },
  http2: true,
});
process.send?.('ready');
