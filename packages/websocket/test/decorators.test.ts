import { HttpRequest, HttpResponse, path, View, type ViewParams } from '@manouche/core';
import { acceptWebsocket, CloseCode, requireWebsocket, websocketInfoOf } from '@manouche/websocket';
import { WebSocketTestClient } from '@manouche/testing';
import { handshakeLines, rawHandshake } from './support/raw';
import { serve, type Served } from './support/serve';
import { connected } from './support/ws-client';

/** Echoes every message, then returns (the connection closes with 1000). */
async function echo(request: HttpRequest): Promise<void> {
  const ws = request.websocket!;
  for await (const message of ws) await ws.send(message);
}

/** Answers plain HTTP with 200 'plain', a WebSocket with its negotiated protocol then an echo. */
async function dual(request: HttpRequest, params: ViewParams): Promise<HttpResponse | void> {
  if (request.websocket === null) return new HttpResponse(`plain ${JSON.stringify(params)}`);
  await request.websocket.send(`protocol=${request.websocket.protocol} params=${JSON.stringify(params)}`);
  await echo(request);
}

class AcceptingView extends View {
  @acceptWebsocket()
  async get(request: HttpRequest): Promise<HttpResponse | void> {
    if (request.websocket === null) return new HttpResponse(`plain from ${this.constructor.name}`);
    await request.websocket.send(
      `hello from ${this.constructor.name}, same request: ${this.request === request}`,
    );
    await echo(request);
  }
}

class RequiringView extends View {
  @requireWebsocket()
  async get(request: HttpRequest): Promise<void> {
    await request.websocket!.send(`hello from ${this.constructor.name}`);
    await echo(request);
  }
}

class ProtocolView extends View {
  @acceptWebsocket({ protocols: ['chat.v2', 'chat.v1'] })
  async get(request: HttpRequest): Promise<HttpResponse | void> {
    if (request.websocket === null) return new HttpResponse('plain');
    await request.websocket.send(`protocol=${request.websocket.protocol}`);
    await echo(request);
  }
}

class BareDecoratorView extends View {
  @requireWebsocket
  async get(request: HttpRequest): Promise<void> {
    await request.websocket!.send('bare');
  }
}

/** A subclass inherits its parent's decorated `get`. */
class InheritingView extends AcceptingView {}

/** Connects offering `subprotocols`, expecting the server to accept and to choose `protocol`. */
async function negotiated(
  url: string,
  subprotocols: string[],
  protocol: string,
): Promise<WebSocketTestClient> {
  const client = new WebSocketTestClient(url);
  expect(await client.connect({ subprotocols })).toMatchObject({ accepted: true, protocol });
  return client;
}

let served: Served;

beforeAll(async () => {
  // No WebSocketMiddleware anywhere in this file: the decorators work on their own.
  served = await serve({
    ROOT_URLCONF: [
      path('accept/', acceptWebsocket(dual)),
      path('accept/<int:id>/', acceptWebsocket(dual)),
      path('require/', requireWebsocket(dual)),
      path('accept-protocols/', acceptWebsocket({ protocols: ['chat.v2', 'chat.v1'] })(dual)),
      path('require-protocols/', requireWebsocket({ protocols: ['json', 'text'] })(dual)),
      path('accept-options/', acceptWebsocket({})(dual)),
      path('class/accept/', AcceptingView.asView()),
      path('class/require/', RequiringView.asView()),
      path('class/protocols/', ProtocolView.asView()),
      path('class/bare/', BareDecoratorView.asView()),
      path('class/inherited/', InheritingView.asView()),
    ],
  });
});

afterAll(() => served.close());

describe('acceptWebsocket(view)', () => {
  it('lets plain HTTP through to the view, which answers as usual', async () => {
    const response = await fetch(`${served.url}/accept/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('plain {}');
  });

  it('accepts a WebSocket and runs the view with request.websocket set', async () => {
    const client = await connected(`${served.wsUrl}/accept/`);
    expect(await client.receive()).toBe('protocol= params={}');
    await client.send('ping');
    expect(await client.receive()).toBe('ping');
    expect((await client.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
  });

  it('passes the converted URL parameters to the view', async () => {
    const client = await connected(`${served.wsUrl}/accept/42/`);
    expect(await client.receive()).toBe('protocol= params={"id":42}');
    await client.close(CloseCode.NORMAL);
    expect(await (await fetch(`${served.url}/accept/42/`)).text()).toBe('plain {"id":42}');
  });

  it('closes with 1000 when the view returns', async () => {
    const client = await connected(`${served.wsUrl}/class/bare/`);
    expect(await client.receive()).toBe('bare');
    expect((await client.closed).code).toBe(CloseCode.NORMAL);
  });

  it('keeps the view name and records the mode for the URL conf', () => {
    const wrapped = acceptWebsocket(dual);
    expect(wrapped.name).toBe('dual');
    expect(websocketInfoOf(served.app.resolver.routes[0]!.view)).toEqual({ mode: 'accept', protocols: [] });
  });
});

describe('acceptWebsocket({ protocols })(view)', () => {
  it("picks the view's first preference among the client's offers", async () => {
    const client = await negotiated(`${served.wsUrl}/accept-protocols/`, ['chat.v1', 'chat.v2'], 'chat.v2');
    expect(await client.receive()).toBe('protocol=chat.v2 params={}');
    await client.close(CloseCode.NORMAL);
  });

  it('picks the only protocol both sides speak', async () => {
    const client = await negotiated(`${served.wsUrl}/accept-protocols/`, ['other', 'chat.v1'], 'chat.v1');
    expect(await client.receive()).toBe('protocol=chat.v1 params={}');
    await client.close(CloseCode.NORMAL);
  });

  it('accepts without a subprotocol when the client offers none', async () => {
    const client = await negotiated(`${served.wsUrl}/accept-protocols/`, [], '');
    expect(await client.receive()).toBe('protocol= params={}');
    await client.close(CloseCode.NORMAL);
  });

  it('answers 101 without Sec-WebSocket-Protocol when no offered protocol matches', async () => {
    const result = await rawHandshake(
      served.port,
      handshakeLines('/accept-protocols/', served.port, { 'Sec-WebSocket-Protocol': 'nope, nada' }),
      { windowMs: 300 },
    );
    expect(result.status).toBe(101);
    expect(result.head.toLowerCase()).not.toContain('sec-websocket-protocol');
  });

  it('accepts empty options like no options', async () => {
    const client = await connected(`${served.wsUrl}/accept-options/`);
    expect(await client.receive()).toBe('protocol= params={}');
    await client.close(CloseCode.NORMAL);
    expect((await fetch(`${served.url}/accept-options/`)).status).toBe(200);
  });
});

describe('requireWebsocket(view)', () => {
  it('answers plain HTTP with 400 and an empty body, logging one line', async () => {
    const before = served.logger.lines.length;
    const response = await fetch(`${served.url}/require/`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('');
    expect(served.logger.lines.slice(before)).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('/require/') }),
    ]);
  });

  it('accepts a WebSocket', async () => {
    const client = await connected(`${served.wsUrl}/require/`);
    expect(await client.receive()).toBe('protocol= params={}');
    await client.send('héllo ✓');
    expect(await client.receive()).toBe('héllo ✓');
    await client.close(CloseCode.NORMAL);
  });

  it('negotiates its protocols', async () => {
    const client = await negotiated(`${served.wsUrl}/require-protocols/`, ['text', 'json'], 'json');
    expect(await client.receive()).toBe('protocol=json params={}');
    await client.close(CloseCode.NORMAL);
    expect((await fetch(`${served.url}/require-protocols/`)).status).toBe(400);
  });
});

describe('@acceptWebsocket() on a class-based view', () => {
  it('lets plain HTTP through to get()', async () => {
    const response = await fetch(`${served.url}/class/accept/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('plain from AcceptingView');
  });

  it('accepts a WebSocket and runs get() on the instance', async () => {
    const client = await connected(`${served.wsUrl}/class/accept/`);
    expect(await client.receive()).toBe('hello from AcceptingView, same request: true');
    await client.send('echo me');
    expect(await client.receive()).toBe('echo me');
    expect((await client.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
  });

  it('negotiates the protocols given in its options', async () => {
    const client = await negotiated(`${served.wsUrl}/class/protocols/`, ['chat.v1', 'chat.v2'], 'chat.v2');
    expect(await client.receive()).toBe('protocol=chat.v2');
    await client.close(CloseCode.NORMAL);
  });

  it('is inherited by a subclass', async () => {
    const client = await connected(`${served.wsUrl}/class/inherited/`);
    expect(await client.receive()).toBe('hello from InheritingView, same request: true');
    await client.close(CloseCode.NORMAL);
    expect(await (await fetch(`${served.url}/class/inherited/`)).text()).toBe('plain from InheritingView');
  });

  it('leaves the other methods alone: POST gets 405', async () => {
    const response = await fetch(`${served.url}/class/accept/`, { method: 'POST' });
    expect(response.status).toBe(405);
  });
});

describe('@requireWebsocket() on a class-based view', () => {
  it('answers plain HTTP with 400 and an empty body', async () => {
    const response = await fetch(`${served.url}/class/require/`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('');
  });

  it('accepts a WebSocket and runs get()', async () => {
    const client = await connected(`${served.wsUrl}/class/require/`);
    expect(await client.receive()).toBe('hello from RequiringView');
    await client.close(CloseCode.NORMAL);
  });

  it('works without parentheses too', async () => {
    expect((await fetch(`${served.url}/class/bare/`)).status).toBe(400);
  });
});

describe('decorating something that is not a view', () => {
  it('throws a TypeError naming the decorator', () => {
    expect(() => acceptWebsocket({ protocols: [] })(42 as unknown as typeof dual)).toThrow(
      /acceptWebsocket\(\) wraps a view function/,
    );
  });
});
