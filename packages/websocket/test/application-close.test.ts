import type { AddressInfo } from 'node:net';
import { HttpResponse, MiddlewareMixin, path, type HttpRequest } from '@manouche/core';
import { acceptWebsocket, CloseCode, WebSocketMiddleware } from '@manouche/websocket';
import { closeCodeOf, handshakeLines, Opcode, rawHandshake } from './support/raw';
import { serve, until } from './support/serve';
import { connect } from './support/ws-client';

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
    const clients = await Promise.all([1, 2, 3].map(() => connect(`${served.wsUrl}/listen/`)));
    for (const client of clients) expect(await client.nextText()).toBe('listening');
    await served.close();
    for (const client of clients) expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
    // The views ended normally, so every connection went back out through the middleware as a 101.
    await until(() => responses.length === 3);
    expect(responses).toEqual([101, 101, 101]);
    expect(served.logger.at('error')).toEqual([]);
  });

  it('refuses new connections afterwards', async () => {
    const served = await serve({ ROOT_URLCONF: [path('listen/', acceptWebsocket(listen))] });
    const client = await connect(`${served.wsUrl}/listen/`);
    await served.close();
    expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
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
    const first = await connect(`${served.wsUrl}/listen/`);
    await served.close();
    expect((await first.closed).code).toBe(CloseCode.GOING_AWAY);
    const server = await served.app.listen(0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    try {
      const again = await connect(`ws://127.0.0.1:${port}/listen/`);
      expect(await again.nextText()).toBe('listening');
      await again.close(CloseCode.NORMAL);
    } finally {
      await served.app.close();
    }
  });

  it('does nothing to plain HTTP apps with no WebSocket ever opened', async () => {
    const served = await serve({ ROOT_URLCONF: [path('plain/', () => new HttpResponse('ok'))] });
    expect(await (await fetch(`${served.url}/plain/`)).text()).toBe('ok');
    await served.close();
  });
});
