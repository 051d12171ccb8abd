import {
  createApp,
  HttpResponse,
  HttpResponseForbidden,
  MiddlewareMixin,
  path,
  type HttpRequest,
  type Logger,
} from '@manouche/core';
import { acceptWebsocket, requireWebsocket, WebSocketMiddleware } from '@manouche/websocket';
import { LiveServer, WebSocketTestClient } from '@manouche/testing';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Refuses every request to /private/ that lacks `?token=ok`. */
class AuthMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): HttpResponse | null {
    if (!request.path.startsWith('/private/')) return null;
    return request.GET.get('token') === 'ok' ? null : new HttpResponseForbidden('no token');
  }
}

const echo = acceptWebsocket(async (request: HttpRequest) => {
  const ws = request.websocket;
  if (ws === null) return new HttpResponse('plain echo');
  for await (const message of ws) {
    if (message === 'close-4000') ws.close(4000, 'asked to');
    else await ws.send(message);
  }
  return new HttpResponse();
});

const server = new LiveServer(
  createApp({
    LOGGER: silent,
    MIDDLEWARE: [AuthMiddleware, WebSocketMiddleware],
    ROOT_URLCONF: [
      path('echo/', echo),
      path('private/echo/', echo),
      path(
        'chat/',
        acceptWebsocket({ protocols: ['chat.v2', 'chat.v1'] })(async (request) => {
          const ws = request.websocket;
          if (ws !== null) await ws.send(`protocol ${ws.protocol}`);
          if (ws !== null) await ws.wait();
          return new HttpResponse();
        }),
      ),
      path(
        'silent/',
        requireWebsocket(async (request) => {
          await request.websocket?.wait();
          return new HttpResponse();
        }),
      ),
      path(
        'boom/',
        requireWebsocket(() => {
          throw new Error('the view failed');
        }),
      ),
      path(
        'hello-then-boom/',
        requireWebsocket(async (request) => {
          await request.websocket?.send('hello');
          throw new Error('the view failed after a message');
        }),
      ),
      path(
        'bye/',
        requireWebsocket(async (request) => {
          await request.websocket?.send('bye');
          return new HttpResponse();
        }),
      ),
      path('plain/', () => new HttpResponse('plain only')),
    ],
  }),
);

beforeAll(() => server.start());
afterAll(() => server.stop());

/** A client for `path` on the live server. */
function client(path: string): WebSocketTestClient {
  return new WebSocketTestClient(`${server.wsUrl}${path}`);
}

/** Connects a client to `path`, failing the test when refused. */
async function connected(path: string): Promise<WebSocketTestClient> {
  const ws = client(path);
  const result = await ws.connect();
  if (!result.accepted) throw new Error(`connect to ${path} was refused with ${result.status}`);
  return ws;
}

describe('WebSocketTestClient', () => {
  describe('connect', () => {
    it('resolves accepted, status 101 and no protocol for an accepting view', async () => {
      const ws = client('/echo/');
      expect(await ws.connect()).toEqual({ accepted: true, protocol: '', status: 101, closeCode: null });
      await ws.close();
    });

    it('resolves accepted false and status 403 when a middleware refuses the handshake', async () => {
      const ws = client('/private/echo/');
      const result = await ws.connect();
      expect(result.accepted).toBe(false);
      expect(result.status).toBe(403);
    });

    it('resolves accepted when the middleware lets the handshake through', async () => {
      const ws = client('/private/echo/?token=ok');
      expect((await ws.connect()).accepted).toBe(true);
      await ws.send('secret');
      expect(await ws.receive()).toBe('secret');
      await ws.close();
    });

    it('resolves status 403 for an Origin that is not allowed', async () => {
      const result = await client('/echo/').connect({ origin: 'https://evil.example' });
      expect(result).toMatchObject({ accepted: false, status: 403 });
    });

    it('is accepted with the site’s own Origin', async () => {
      const ws = client('/echo/');
      expect((await ws.connect({ origin: server.url })).accepted).toBe(true);
      await ws.close();
    });

    it('resolves status 400 for a view that does not accept WebSockets', async () => {
      expect(await client('/plain/').connect()).toMatchObject({ accepted: false, status: 400 });
    });

    it('resolves status 404 for an unknown path', async () => {
      expect(await client('/nowhere/').connect()).toMatchObject({ accepted: false, status: 404 });
    });

    it('sends extra headers with the handshake', async () => {
      const ws = client('/private/echo/');
      // The token travels in the query; a header alone does not satisfy the middleware.
      expect((await ws.connect({ headers: { 'X-Token': 'ok' } })).status).toBe(403);
    });

    it('resolves accepted false with status 0 when nothing listens on the port', async () => {
      const stopped = new LiveServer(createApp({ LOGGER: silent, ROOT_URLCONF: [] }));
      await stopped.start();
      const url = `${stopped.wsUrl}/echo/`;
      await stopped.stop();
      expect(await new WebSocketTestClient(url).connect()).toMatchObject({ accepted: false, status: 0 });
    });

    it('rejects a second connect() on the same client', async () => {
      const ws = await connected('/echo/');
      await expect(ws.connect()).rejects.toThrow('connect() was already called');
      await ws.close();
    });
  });

  describe('subprotocols', () => {
    it("resolves the protocol the server chose from the client's list", async () => {
      const ws = client('/chat/');
      const result = await ws.connect({ subprotocols: ['chat.v1', 'chat.v2'] });
      expect(result.accepted).toBe(true);
      expect(result.protocol).toBe('chat.v2');
      expect(await ws.receive()).toBe('protocol chat.v2');
      await ws.close();
    });

    it('resolves the only protocol both sides speak', async () => {
      const ws = client('/chat/');
      expect((await ws.connect({ subprotocols: ['chat.v1'] })).protocol).toBe('chat.v1');
      await ws.close();
    });
  });

  describe('messages', () => {
    let ws: WebSocketTestClient;
    beforeEach(async () => {
      ws = await connected('/echo/');
    });
    afterEach(() => ws.close());

    it('sends text and receives it back as a string', async () => {
      await ws.send('Minor swing');
      expect(await ws.receive()).toBe('Minor swing');
    });

    it('receives messages in the order they were sent', async () => {
      await ws.send('one');
      await ws.send('two');
      expect(await ws.receive()).toBe('one');
      expect(await ws.receive()).toBe('two');
    });

    it('gives two receive() calls waiting at once one message each, in order', async () => {
      const first = ws.receive();
      const second = ws.receive();
      await ws.send('a');
      await ws.send('b');
      expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    });

    it('sends JSON with sendJson and parses it with receiveJson', async () => {
      await ws.sendJson({ chord: 'Am6', beats: [1, 2, 3, 4] });
      expect(await ws.receiveJson()).toEqual({ chord: 'Am6', beats: [1, 2, 3, 4] });
    });

    it('sends a Buffer as a binary frame and receives a Buffer', async () => {
      const bytes = Buffer.from([0, 1, 2, 255]);
      await ws.send(bytes);
      const received = await ws.receive();
      expect(Buffer.isBuffer(received)).toBe(true);
      expect(received).toEqual(bytes);
    });

    it('sends a Uint8Array as a binary frame', async () => {
      await ws.send(new Uint8Array([9, 8, 7]));
      expect(await ws.receive()).toEqual(Buffer.from([9, 8, 7]));
    });

    it('rejects receiveJson with what came when the message is not JSON', async () => {
      await ws.send('not json');
      await expect(ws.receiveJson()).rejects.toThrow('expected a JSON message, received "not json"');
    });

    it('passes receiveNothing when the server stays silent', async () => {
      await expect(ws.receiveNothing(50)).resolves.toBeUndefined();
    });

    it('rejects receiveNothing with the message that came', async () => {
      await ws.send('unexpected');
      await expect(ws.receiveNothing(1000)).rejects.toThrow(
        'expected no message within 1000 ms, received "unexpected"',
      );
    });

    it('leaves the message for receive() after receiveNothing rejected', async () => {
      await ws.send('kept');
      await expect(ws.receiveNothing(1000)).rejects.toThrow('received "kept"');
      expect(await ws.receive()).toBe('kept');
    });

    it('rejects receiveNothing naming the size of a binary message', async () => {
      await ws.send(Buffer.from([1, 2, 3]));
      await expect(ws.receiveNothing(1000)).rejects.toThrow('received 3 binary bytes');
    });

    it('rejects receive with "none came" when nothing arrives in time', async () => {
      await expect(ws.receive(50)).rejects.toThrow(new Error('expected a message within 50 ms, none came'));
    });

    it('waits as long as the timeoutMs given to the constructor by default', async () => {
      const patient = new WebSocketTestClient(`${server.wsUrl}/echo/`, { timeoutMs: 30 });
      expect((await patient.connect()).accepted).toBe(true);
      await expect(patient.receive()).rejects.toThrow(
        new Error('expected a message within 30 ms, none came'),
      );
      await expect(patient.receiveJson()).rejects.toThrow('expected a message within 30 ms');
      await patient.close();
    });
  });

  describe('closing', () => {
    it('closes with 1000 when close() is given no code, so the server sees a normal closure', async () => {
      const ws = await connected('/echo/');
      expect(await ws.close()).toEqual({ code: 1000, reason: '' });
    });

    it('resolves close(code, reason) with that code and reason', async () => {
      const ws = await connected('/echo/');
      expect(await ws.close(4001, 'done')).toEqual({ code: 4001, reason: 'done' });
    });

    it('resolves `closed` with the code the server closed with', async () => {
      const ws = await connected('/echo/');
      await ws.send('close-4000');
      expect(await ws.closed).toEqual({ code: 4000, reason: 'asked to' });
    });

    it('resolves `closed` with 1000 when the view returns', async () => {
      const ws = await connected('/bye/');
      expect(await ws.receive()).toBe('bye');
      expect((await ws.closed).code).toBe(1000);
    });

    it('resolves close() after the server already closed, with its code', async () => {
      const ws = await connected('/bye/');
      await ws.closed;
      expect((await ws.close()).code).toBe(1000);
    });

    it('rejects receive on a socket the server closed with 1011 with what was expected and what came', async () => {
      const ws = await connected('/boom/');
      await expect(ws.receive()).rejects.toThrow(
        new Error('expected a message within 1000 ms, the socket closed with 1011'),
      );
      expect((await ws.closed).code).toBe(1011);
    });

    it('delivers the messages sent before a 1011 close, then rejects receive', async () => {
      const ws = await connected('/hello-then-boom/');
      expect(await ws.receive()).toBe('hello');
      await expect(ws.receive()).rejects.toThrow('the socket closed with 1011');
    });

    it('keeps rejecting receive after the close', async () => {
      const ws = await connected('/boom/');
      await ws.closed;
      await expect(ws.receive(20)).rejects.toThrow(
        'expected a message within 20 ms, the socket closed with 1011',
      );
      await expect(ws.receive(20)).rejects.toThrow('the socket closed with 1011');
    });

    it('passes receiveNothing on a socket that closed without a message', async () => {
      const ws = await connected('/silent/');
      await ws.close();
      await expect(ws.receiveNothing(20)).resolves.toBeUndefined();
    });

    it('rejects send after the close, naming the close code', async () => {
      const ws = await connected('/boom/');
      await ws.closed;
      await expect(ws.send('late')).rejects.toThrow(
        'expected an open socket to send, the socket closed with 1011',
      );
    });

    it('rejects send before connect()', async () => {
      await expect(client('/echo/').send('early')).rejects.toThrow('call connect() first');
    });

    it('resolves `closed` with 1001 when the live server stops', async () => {
      const own = new LiveServer(
        createApp({ LOGGER: silent, MIDDLEWARE: [WebSocketMiddleware], ROOT_URLCONF: [path('echo/', echo)] }),
      );
      await own.start();
      const ws = new WebSocketTestClient(`${own.wsUrl}/echo/`);
      expect((await ws.connect()).accepted).toBe(true);
      await own.stop();
      expect((await ws.closed).code).toBe(1001);
    });
  });
});
