import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { WebSocket } from 'ws';
import { connect, type ManoucheSocket, type Transport, type WebSocketConstructor } from '@manouche/client';
import { createApp, HttpResponse, path, type Application, type HttpRequest } from '@manouche/core';
import { acceptWebsocket, WebSocketMiddleware } from '@manouche/websocket';

jest.setTimeout(20_000);

const quiet = { info() {}, warn() {}, error() {} };

/** An echo that says its transport first; binary comes back binary. */
const echo = acceptWebsocket({ fallback: ['sse', 'longpoll'] })(async (request: HttpRequest) => {
  const ws = request.websocket;
  if (ws === null) return new HttpResponse('plain');
  await ws.send(`hello over ${ws.transport}`);
  for await (const message of ws) {
    if (message === 'bye') return ws.close(4000, 'bye');
    await ws.send(message);
  }
  return undefined;
});

/** A feed of numbered items: `?since=N` first sends the ones after N, then each new one. */
const items: number[] = [];
const listeners = new Set<(item: number) => void>();
const feed = acceptWebsocket({ fallback: ['longpoll'] })(async (request: HttpRequest) => {
  const ws = request.websocket!;
  const since = Number(request.GET.get('since') ?? 0);
  const push = (item: number): void => void ws.send(String(item)).catch(() => undefined);
  listeners.add(push);
  try {
    for (const item of items) if (item > since) push(item);
    await ws.ended;
  } finally {
    listeners.delete(push);
  }
});

function app(): Application {
  return createApp({
    ROOT_URLCONF: [path('echo/', echo), path('feed/', feed)],
    MIDDLEWARE: [WebSocketMiddleware],
    LOGGER: quiet,
  });
}

function nextMessage(socket: ManoucheSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve) =>
    socket.addEventListener('message', (event) => resolve((event as MessageEvent).data), { once: true }),
  );
}

function opened(socket: ManoucheSocket): Promise<void> {
  return new Promise((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
}

function closed(socket: ManoucheSocket): Promise<{ code: number; willReconnect: boolean }> {
  return new Promise((resolve) =>
    socket.addEventListener(
      'close',
      (event) => resolve(event as unknown as { code: number; willReconnect: boolean }),
      {
        once: true,
      },
    ),
  );
}

describe('connect()', () => {
  let application: Application;
  let server: Server;
  let base: string;
  const sockets: ManoucheSocket[] = [];

  beforeAll(async () => {
    application = app();
    server = await application.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  afterAll(() => application.close());

  function open(url: string, transports?: Transport[]): ManoucheSocket {
    const socket = connect(url, {
      transports,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      minDelay: 50,
    });
    sockets.push(socket);
    return socket;
  }

  it('opens a WebSocket first, with the WebSocket surface and its transport named', async () => {
    const socket = open(`${base}/echo/`);
    expect(socket.readyState).toBe(0);
    const greeting = nextMessage(socket);
    await opened(socket);
    expect(socket.readyState).toBe(1);
    expect(socket.transport).toBe('websocket');
    expect(await greeting).toBe('hello over http/1.1');
    const echoed = nextMessage(socket);
    socket.send(new Uint8Array([1, 2, 3]));
    expect(new Uint8Array((await echoed) as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('falls back to long polling when neither WebSocket nor EventSource exists (plain Node)', async () => {
    const socket = connect(`${base}/echo/`, { minDelay: 50 });
    sockets.push(socket);
    const greeting = nextMessage(socket);
    await opened(socket);
    expect(socket.transport).toBe('longpoll');
    expect(await greeting).toBe('hello over longpoll');
    for (const text of ['one', 'two', 'three']) socket.send(text);
    const received: Array<string | ArrayBuffer> = [];
    await new Promise<void>((resolve) => {
      socket.onmessage = (event) => {
        received.push(event.data);
        if (received.length === 3) resolve();
      };
    });
    expect(received).toEqual(['one', 'two', 'three']);
    const binary = nextMessage(socket);
    socket.send(new Uint8Array([0, 255]));
    expect(new Uint8Array((await binary) as ArrayBuffer)).toEqual(new Uint8Array([0, 255]));
  });

  it('reports the view closing with an application code, and does not reconnect', async () => {
    const socket = open(`${base}/echo/`, ['longpoll']);
    await opened(socket);
    const ended = closed(socket);
    socket.send('bye');
    expect(await ended).toMatchObject({ code: 4000, willReconnect: false });
    expect(socket.readyState).toBe(3);
  });

  it('reconnects after a server restart and, resuming with ?since=, loses and repeats nothing', async () => {
    const port = (server.address() as AddressInfo).port;
    let last = 0;
    const received: number[] = [];
    const socket = connect(() => `${base}/feed/?since=${last}`, {
      transports: ['longpoll'],
      minDelay: 50,
      maxDelay: 200,
    });
    sockets.push(socket);
    socket.onmessage = (event) => {
      const item = Number(event.data);
      if (item > last) last = item;
      received.push(item);
    };
    await opened(socket);
    const publish = (item: number): void => {
      items.push(item);
      for (const listener of listeners) listener(item);
    };
    publish(1);
    publish(2);
    while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));

    const dropped = closed(socket);
    await application.close();
    expect((await dropped).willReconnect).toBe(true);
    publish(3); // while the server is down
    application = app();
    server = await application.listen(port, '127.0.0.1');
    await opened(socket);
    publish(4);
    while (received.length < 4) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toEqual([1, 2, 3, 4]);
  });
});
