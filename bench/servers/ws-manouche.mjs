// The same echo as a Manouche view: the handshake goes through a MIDDLEWARE stack of five
// pass-through layers and WebSocketMiddleware, then `for await` over request.websocket.
import './cpu-probe.mjs';
import { createApp, path, HttpResponse } from '@manouche/core';
import { WebSocketMiddleware, acceptWebsocket } from '@manouche/websocket';

class PassThrough {
  constructor(getResponse) {
    this.getResponse = getResponse;
  }
  call(request) {
    return this.getResponse(request);
  }
}

const echo = acceptWebsocket(async (request) => {
  const ws = request.websocket;
  if (!ws) return new HttpResponse('WebSocket only');
  for await (const message of ws) ws.send(message);
});

const app = createApp({
  ROOT_URLCONF: [path('', echo)],
  MIDDLEWARE: [PassThrough, PassThrough, PassThrough, PassThrough, PassThrough, WebSocketMiddleware],
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
