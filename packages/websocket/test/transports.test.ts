import { once } from 'node:events';
import {
  createSelfSignedCertificate,
  HttpResponse,
  MiddlewareMixin,
  path,
  type HttpRequest,
  type Settings,
  type WebSocketConnection,
} from '@manouche/core';
import {
  acceptWebsocket,
  CloseCode,
  requireWebsocket,
  WebSocketClosed,
  WebSocketMiddleware,
} from '@manouche/websocket';
import {
  openHttp2Session,
  openHttp2WebSocket,
  WebSocketTestClient,
  type LiveServerOptions,
} from '@manouche/testing';
import { deferred, serve, until, type Deferred, type Served } from './support/serve';
import { ErrorCode, exchangeFrames, headersFrame, resetCodeOf } from '../../core/test/support/h2-frames';

jest.setTimeout(20_000);

const tls = createSelfSignedCertificate();

/** What each transport is called, how the server listens, and what the client uses. */
const TRANSPORTS: Array<[string, LiveServerOptions, boolean, 'http/1.1' | 'h2', number]> = [
  ['HTTP/1.1 upgrade', {}, false, 'http/1.1', 101],
  ['HTTP/1.1 upgrade over TLS', { tls, http2: true }, false, 'http/1.1', 101],
  ['HTTP/2 extended CONNECT over TLS', { tls, http2: true }, true, 'h2', 200],
  ['HTTP/2 extended CONNECT in cleartext (h2c)', { http2: true }, true, 'h2', 200],
];

const STACKS: Array<[string, Partial<Settings>]> = [
  ['MIDDLEWARE', { MIDDLEWARE: [WebSocketMiddleware] }],
  ['MIDDLEWARE_CLASSES', { MIDDLEWARE_CLASSES: [WebSocketMiddleware] }],
  ['decorators only', {}],
];

/** Refuses every request whose path starts with /private/ before any view runs. */
class PrivateMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): HttpResponse | null {
    return request.path.startsWith('/private/') ? new HttpResponse('no', { status: 403 }) : null;
  }
}

/** The connection each view saw, for the test to look at. */
let seen: Deferred<WebSocketConnection>;

async function echo(request: HttpRequest): Promise<HttpResponse | void> {
  const ws = request.websocket;
  if (ws === null) return new HttpResponse('plain');
  seen.resolve(ws);
  for await (const message of ws) await ws.send(message);
}

const routes = [
  path('echo/', acceptWebsocket(echo)),
  path('private/echo/', acceptWebsocket(echo)),
  path('chat/', acceptWebsocket({ protocols: ['chat.v2', 'chat.v1'] })(echo)),
  path('only/', requireWebsocket(echo)),
  path(
    'returns/',
    acceptWebsocket(async () => undefined),
  ),
  path(
    'throws/',
    acceptWebsocket(async () => {
      throw new Error('view failed');
    }),
  ),
  path(
    'transport/',
    acceptWebsocket(
      async (request: HttpRequest) => void (await request.websocket!.send(request.websocket!.transport)),
    ),
  ),
  path('plain/', () => new HttpResponse('plain view')),
];

describe.each(TRANSPORTS)('WebSockets over %s', (_, listen, http2, transport, acceptedStatus) => {
  describe.each(STACKS)('with %s', (__, stack) => {
    let served: Served;

    beforeAll(async () => {
      const middleware =
        'MIDDLEWARE' in stack ? { MIDDLEWARE: [PrivateMiddleware, ...stack.MIDDLEWARE!] } : stack;
      served = await serve({ ROOT_URLCONF: routes, ...middleware }, listen);
    });
    afterAll(() => served.close());
    beforeEach(() => {
      seen = deferred();
      served.logger.lines.splice(0);
    });

    function clientFor(route: string): WebSocketTestClient {
      return new WebSocketTestClient(`${served.wsUrl}${route}`, { http2 });
    }

    it(`is accepted (${acceptedStatus}) and tells its transport`, async () => {
      const ws = clientFor('/transport/');
      expect(await ws.connect()).toMatchObject({ accepted: true, status: acceptedStatus });
      expect(await ws.receive()).toBe(transport);
      expect((await ws.closed).code).toBe(CloseCode.NORMAL);
    });

    it('echoes text as text and binary as binary', async () => {
      const ws = clientFor('/echo/');
      await ws.connect();
      await ws.send('héllo ✓');
      expect(await ws.receive()).toBe('héllo ✓');
      await ws.send(Buffer.from([1, 2, 3]));
      expect(await ws.receive()).toEqual(Buffer.from([1, 2, 3]));
      await ws.close();
    });

    it("picks the view's first preference among the client's subprotocols", async () => {
      const ws = clientFor('/chat/');
      expect(await ws.connect({ subprotocols: ['chat.v1', 'chat.v2'] })).toMatchObject({
        protocol: 'chat.v2',
      });
      await ws.close();
    });

    it('closes with 1000 when the view returns and 1011 when it throws', async () => {
      const returns = clientFor('/returns/');
      await returns.connect();
      expect((await returns.closed).code).toBe(CloseCode.NORMAL);
      const throws = clientFor('/throws/');
      await throws.connect();
      expect((await throws.closed).code).toBe(CloseCode.INTERNAL_ERROR);
    });

    it('refuses a foreign Origin with 403, one log line', async () => {
      const ws = clientFor('/echo/');
      expect(await ws.connect({ origin: 'https://evil.example' })).toMatchObject({
        accepted: false,
        status: 403,
      });
      expect(served.logger.at('warn').filter((line) => line.includes('evil.example'))).toHaveLength(1);
    });

    // ws's own client always sends version 13; handshake.test.ts covers HTTP/1.1 with raw bytes.
    if (http2)
      it('refuses another Sec-WebSocket-Version with 426', async () => {
        const ws = clientFor('/echo/');
        const result = await ws.connect({ headers: { 'Sec-WebSocket-Version': '8' } });
        expect(result).toMatchObject({ accepted: false, status: 426 });
      });

    if ('MIDDLEWARE' in stack)
      it("sends a middleware's early answer as plain HTTP, no handshake", async () => {
        const ws = clientFor('/private/echo/');
        expect(await ws.connect()).toMatchObject({ accepted: false, status: 403 });
      });

    if (Object.keys(stack).length > 0)
      it('refuses a WebSocket to an undecorated view with 400 (WEBSOCKET_ACCEPT_ALL false)', async () => {
        const ws = clientFor('/plain/');
        expect(await ws.connect()).toMatchObject({ accepted: false, status: 400 });
      });
    else if (!http2)
      it('lets an undecorated view answer a WebSocket request as plain HTTP (no WebSocketMiddleware)', async () => {
        const ws = clientFor('/plain/');
        expect(await ws.connect()).toMatchObject({ accepted: false, status: 200 });
      });
    else
      it("turns an undecorated view's 200 into 400: over HTTP/2 a 2xx would open the WebSocket", async () => {
        const ws = clientFor('/plain/');
        expect(await ws.connect()).toMatchObject({ accepted: false, status: 400 });
        expect(served.logger.at('warn').filter((line) => line.includes('without accepting'))).toHaveLength(1);
      });

    it('hands the view the same request.websocket, on the right transport', async () => {
      const ws = clientFor('/echo/');
      await ws.connect();
      const connection = await seen.promise;
      expect(connection.transport).toBe(transport);
      expect(connection.protocol).toBe('');
      await ws.close();
    });
  });
});

describe.each(TRANSPORTS)('settings over %s', (_, listen, http2) => {
  beforeEach(() => {
    seen = deferred();
  });

  it('WEBSOCKET_ACCEPT_ALL lets an undecorated view accept', async () => {
    const served = await serve(
      { ROOT_URLCONF: [path('open/', echo)], MIDDLEWARE: [WebSocketMiddleware], WEBSOCKET_ACCEPT_ALL: true },
      listen,
    );
    try {
      seen = deferred();
      const ws = new WebSocketTestClient(`${served.wsUrl}/open/`, { http2 });
      expect((await ws.connect()).accepted).toBe(true);
      await ws.send('hi');
      expect(await ws.receive()).toBe('hi');
      await ws.close();
    } finally {
      await served.close();
    }
  });

  it('closes with 1009 a message over WEBSOCKET_MAX_MESSAGE_SIZE', async () => {
    const served = await serve({ ROOT_URLCONF: routes, WEBSOCKET_MAX_MESSAGE_SIZE: 1024 }, listen);
    try {
      seen = deferred();
      const ws = new WebSocketTestClient(`${served.wsUrl}/echo/`, { http2 });
      await ws.connect();
      await ws.send('x'.repeat(2048));
      expect((await ws.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    } finally {
      await served.close();
    }
  });

  it('negotiates permessage-deflate when WEBSOCKET_PER_MESSAGE_DEFLATE is on, and messages still arrive', async () => {
    const served = await serve({ ROOT_URLCONF: routes, WEBSOCKET_PER_MESSAGE_DEFLATE: true }, listen);
    try {
      seen = deferred();
      const ws = new WebSocketTestClient(`${served.wsUrl}/echo/`, { http2 });
      await ws.connect();
      const big = 'compressible '.repeat(5000);
      await ws.send(big);
      expect(await ws.receive()).toBe(big);
      await ws.close();
    } finally {
      await served.close();
    }
  });

  it('app.close() closes the WebSockets with 1001', async () => {
    const served = await serve({ ROOT_URLCONF: routes }, listen);
    seen = deferred();
    const ws = new WebSocketTestClient(`${served.wsUrl}/echo/`, { http2 });
    await ws.connect();
    await seen.promise;
    await served.close();
    expect((await ws.closed).code).toBe(CloseCode.GOING_AWAY);
  });
});

describe('WebSockets on HTTP/2 streams', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({ ROOT_URLCONF: routes, MIDDLEWARE: [WebSocketMiddleware] }, { tls, http2: true });
  });
  afterAll(() => served.close());
  beforeEach(() => {
    seen = deferred();
    served.logger.lines.splice(0);
  });

  it('answers the extended CONNECT :status 200 with the agreed extension and subprotocol', async () => {
    const deflating = await serve(
      { ROOT_URLCONF: routes, MIDDLEWARE: [WebSocketMiddleware], WEBSOCKET_PER_MESSAGE_DEFLATE: true },
      { tls, http2: true },
    );
    const session = await openHttp2Session(deflating.url);
    try {
      const opened = await openHttp2WebSocket(
        `${deflating.wsUrl}/chat/`,
        { subprotocols: ['chat.v1'] },
        session,
      );
      expect(opened.status).toBe(200);
      expect(opened.socket!.protocol).toBe('chat.v1');
      expect(opened.socket!.extensions).toBe('permessage-deflate');
      opened.socket!.close();
      await once(opened.socket!, 'close');
    } finally {
      session.close();
      await deflating.close();
    }
  });

  it('leaves permessage-deflate out when WEBSOCKET_PER_MESSAGE_DEFLATE is off (the default)', async () => {
    const session = await openHttp2Session(served.url);
    try {
      const opened = await openHttp2WebSocket(`${served.wsUrl}/echo/`, {}, session);
      expect(opened.socket!.extensions).toBe('');
      opened.socket!.close();
      await once(opened.socket!, 'close');
    } finally {
      session.close();
    }
  });

  it('keeps HTTP requests and several WebSockets on one connection apart', async () => {
    const session = await openHttp2Session(served.url);
    try {
      const [first, second] = await Promise.all([
        openHttp2WebSocket(`${served.wsUrl}/echo/`, {}, session),
        openHttp2WebSocket(`${served.wsUrl}/echo/`, {}, session),
      ]);
      const received = (socket: NonNullable<typeof first.socket>): Promise<string> =>
        new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
      const one = received(first.socket!);
      const two = received(second.socket!);
      first.socket!.send('to the first');
      second.socket!.send('to the second');
      const plain = new Promise<string>((resolve) => {
        const stream = session.request({ ':path': '/plain/' });
        let body = '';
        stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => resolve(body));
      });
      expect(await Promise.all([one, two, plain])).toEqual(['to the first', 'to the second', 'plain view']);
      first.socket!.close();
      second.socket!.close();
    } finally {
      session.close();
    }
  });

  it("ends the view's connection when the peer resets the stream, like a TCP close", async () => {
    const session = await openHttp2Session(served.url);
    const view = deferred<string>();
    try {
      seen = deferred();
      const opened = await openHttp2WebSocket(`${served.wsUrl}/echo/`, {}, session);
      const connection = await seen.promise;
      void connection.wait().then((message) => view.resolve(String(message)));
      (opened.socket as unknown as { _socket: { close(code: number): void } })._socket.close(0x8);
      expect(await view.promise).toBe('null');
      await until(() => connection.closed);
      expect(connection.closeCode).toBe(CloseCode.ABNORMAL);
      expect(served.logger.at('error')).toEqual([]);
    } finally {
      session.close();
    }
  });

  it('closes with 1001 a peer that answers no ping for two WEBSOCKET_PING_INTERVALs', async () => {
    const pinged = await serve(
      { ROOT_URLCONF: routes, MIDDLEWARE: [WebSocketMiddleware], WEBSOCKET_PING_INTERVAL: 50 },
      { tls, http2: true },
    );
    const session = await openHttp2Session(pinged.url);
    try {
      const opened = await openHttp2WebSocket(`${pinged.wsUrl}/echo/`, {}, session);
      const socket = opened.socket!;
      // A peer that has gone quiet: it no longer answers pings.
      (socket as unknown as { _autoPong: boolean })._autoPong = false;
      const [code] = (await once(socket, 'close')) as [number];
      expect(code).toBe(CloseCode.GOING_AWAY);
    } finally {
      session.close();
      await pinged.close();
    }
  });

  it('closes with 1013 a peer on an HTTP/2 stream that stops reading, once WEBSOCKET_MAX_BUFFERED waits for it', async () => {
    const KIB = 1024;
    const outcome = deferred<{ refused: unknown; backlog: number }>();
    const flood = acceptWebsocket(async (request: HttpRequest) => {
      const ws = request.websocket!;
      await ws.wait();
      const chunk = Buffer.alloc(16 * KIB, 'x');
      let backlog = 0;
      for (let sent = 0; sent < 4096; sent++) {
        const sending = ws.send(chunk);
        if (ws.readyState !== 1) {
          outcome.resolve({ refused: await sending.catch((error: unknown) => error), backlog });
          return;
        }
        backlog = Math.max(backlog, ws.bufferedAmount);
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      outcome.resolve({ refused: null, backlog });
    });
    const flooded = await serve(
      { ROOT_URLCONF: [path('flood/', flood)], WEBSOCKET_MAX_BUFFERED: 256 * KIB },
      { tls, http2: true },
    );
    const session = await openHttp2Session(flooded.url);
    try {
      const socket = (await openHttp2WebSocket(`${flooded.wsUrl}/flood/`, {}, session)).socket!;
      socket.pause();
      socket.send('go');
      const { refused, backlog } = await outcome.promise;
      expect(refused).toBeInstanceOf(WebSocketClosed);
      // HTTP/2 flow control holds the frames in the stream's buffer, where bufferedAmount sees them.
      expect(backlog).toBeLessThanOrEqual(256 * KIB + 16 * KIB + 64);
      expect(flooded.logger.at('warn').filter((line) => line.includes('1013'))).toHaveLength(1);
    } finally {
      session.destroy();
      await flooded.close();
    }
  });

  it('refuses a plain CONNECT with 405 and another :protocol with 501, never 500', async () => {
    const session = await openHttp2Session(served.url);
    try {
      const status = (headers: Record<string, string>): Promise<number> =>
        new Promise((resolve) => {
          const stream = session.request(headers, { endStream: false });
          stream.on('response', (answer) => resolve(Number(answer[':status'])));
          stream.on('error', () => resolve(0));
        });
      expect(await status({ ':method': 'CONNECT', ':authority': 'example.com:443' })).toBe(405);
      expect(
        await status({ ':method': 'CONNECT', ':protocol': 'chat', ':path': '/echo/', ':scheme': 'https' }),
      ).toBe(501);
    } finally {
      // The refused CONNECT streams are still open on the client's side: drop them with the session.
      session.destroy();
    }
  });
});

describe('a malformed extended CONNECT', () => {
  beforeEach(() => {
    seen = deferred();
  });

  it('without :path or :scheme is reset with PROTOCOL_ERROR (RFC 9113 8.1.1), and never reaches a view', async () => {
    const served = await serve({ ROOT_URLCONF: routes, MIDDLEWARE: [WebSocketMiddleware] }, { http2: true });
    try {
      const base: Array<[string, string]> = [
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':authority', '127.0.0.1'],
      ];
      for (const missing of [
        [':scheme', 'http'],
        [':path', '/echo/'],
      ] as Array<[string, string]>) {
        const received = await exchangeFrames(
          served.port,
          [headersFrame(1, [...base, missing], true)],
          (frames) => frames.some((frame) => frame.stream === 1),
        );
        expect(resetCodeOf(received, 1)).toBe(ErrorCode.PROTOCOL_ERROR);
      }
      expect(served.logger.at('error')).toEqual([]);
    } finally {
      await served.close();
    }
  });
});
