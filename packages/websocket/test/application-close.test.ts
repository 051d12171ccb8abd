import { HttpResponse, MiddlewareMixin, path, type HttpRequest } from '@manouche/core';
import { acceptWebsocket, CloseCode, WebSocketMiddleware } from '@manouche/websocket';
import { LiveServer } from '@manouche/testing';
import { closeCodeOf, handshakeLines, Opcode, rawHandshake } from './support/raw';
import { serve, until } from './support/serve';
import { connect, connected } from './support/ws-client';

let opened = 0;

/** Greets, then echoes until the connection closes. */
async function listen(request: HttpRequest): Promise<void> {
  const ws = request.websocket!;
  opened++;
  await ws.send('listening');
  for await (const message of ws) await ws.send(message);
}

const responses: number[] = [];

class ResponseRecorder extends MiddlewareMixin {
  override processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
    responses.push(response.statusCode);
    return response;
  }
}

describe('Application.close()', () => {
  it('closes every open WebSocket with 1001 and resolves once they are closed', async () => {
    responses.length = 0;
    const served = await serve({
      ROOT_URLCONF: [path('listen/', acceptWebsocket(listen))],
      MIDDLEWARE: [WebSocketMiddleware, ResponseRecorder],
    });
    const clients = await Promise.all([1, 2, 3].map(() => connected(`${served.wsUrl}/listen/`)));
    for (const client of clients) expect(await client.receive()).toBe('listening');
    await served.close();
    for (const client of clients) expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
    // The views ended normally, so every connection went back out through the middleware as a 101.
    await until(() => responses.length === 3);
    expect(responses).toEqual([101, 101, 101]);
    expect(served.logger.at('error')).toEqual([]);
  });

  it('refuses new connections afterwards', async () => {
    const served = await serve({ ROOT_URLCONF: [path('listen/', acceptWebsocket(listen))] });
    const client = await connected(`${served.wsUrl}/listen/`);
    await served.close();
    expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
    // The bespoke client rejects with the cause; WebSocketTestClient would only give status 0.
    await expect(connect(`${served.wsUrl}/listen/`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('resolves even when a peer never answers the close frame', async () => {
    const served = await serve({ ROOT_URLCONF: [path('listen/', acceptWebsocket(listen))] });
    opened = 0;
    const raw = rawHandshake(served.port, handshakeLines('/listen/', served.port), {
      answerClose: false,
      windowMs: 14_000,
    });
    await until(() => opened === 1);
    await served.close();
    const result = await raw;
    expect(result.status).toBe(101);
    const close = result.frames.find((frame) => frame.opcode === Opcode.CLOSE);
    expect(close && closeCodeOf(close)).toBe(CloseCode.GOING_AWAY);
    expect(result.ended).toBe(true);
  });

  it('leaves the application able to listen again and accept WebSockets', async () => {
    const served = await serve({ ROOT_URLCONF: [path('listen/', acceptWebsocket(listen))] });
    const first = await connected(`${served.wsUrl}/listen/`);
    await served.close();
    expect((await first.closed).code).toBe(CloseCode.GOING_AWAY);
    const server = await new LiveServer(served.app).start();
    try {
      const again = await connected(`${server.wsUrl}/listen/`);
      expect(await again.receive()).toBe('listening');
      await again.close(CloseCode.NORMAL);
    } finally {
      await server.stop();
    }
  });

  it('does nothing to plain HTTP apps with no WebSocket ever opened', async () => {
    const served = await serve({ ROOT_URLCONF: [path('plain/', () => new HttpResponse('ok'))] });
    expect(await (await fetch(`${served.url}/plain/`)).text()).toBe('ok');
    await served.close();
  });
});
