import {
  HttpRequest,
  HttpResponse,
  HttpResponseForbidden,
  include,
  MiddlewareMixin,
  path,
  type GetResponse,
  type Settings,
  type ViewParams,
  wraps,
} from '@manouche/core';
import { acceptWebsocket, CloseCode, requireWebsocket, WebSocketMiddleware } from '@manouche/websocket';
import { overrideSettings, WebSocketTestClient } from '@manouche/testing';
import { closeCodeOf, handshakeLines, Opcode, rawHandshake } from './support/raw';
import { deferred, serve, until, type Deferred, type Served } from './support/serve';
import { connected, refusal } from './support/ws-client';

type Stack = 'MIDDLEWARE' | 'MIDDLEWARE_CLASSES';
type Entry = typeof MiddlewareMixin;

/** Settings with `entries` in the stack named `stack`. */
function stackSettings(stack: Stack | 'none', entries: Entry[]): Partial<Settings> {
  if (stack === 'none') return {};
  return stack === 'MIDDLEWARE' ? { MIDDLEWARE: entries } : { MIDDLEWARE_CLASSES: entries };
}

/** What the middleware and views saw, in order. */
let events: string[] = [];
let viewError: Deferred<unknown>;

function state(request: HttpRequest): string {
  return `websocket=${request.websocket !== null} upgraded=${request.upgrade?.upgraded ?? 'n/a'}`;
}

/** Records every hook; declines everything. */
class Recorder extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    events.push(`processRequest ${state(request)}`);
    return null;
  }
  override async processView(request: HttpRequest): Promise<null> {
    await new Promise((resolve) => setTimeout(resolve, 20)); // an async hook still runs before the 101
    events.push(`processView ${state(request)}`);
    return null;
  }
  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    events.push(`processResponse ${response.statusCode} closed=${request.websocket?.closed ?? 'n/a'}`);
    return response;
  }
  override processException(_request: HttpRequest, error: unknown): null {
    events.push(`processException ${(error as Error).message}`);
    viewError.resolve(error);
    return null;
  }
}

/** Refuses every request that lacks `?token=ok`, in processRequest. */
class Auth extends MiddlewareMixin {
  override processRequest(request: HttpRequest): HttpResponse | null {
    return request.GET.get('token') === 'ok' ? null : new HttpResponseForbidden('no token');
  }
}

/** Refuses every view in processView. */
class ViewGuard extends MiddlewareMixin {
  override processView(): HttpResponse {
    return new HttpResponseForbidden('guarded');
  }
}

/** An ordinary view: plain HTTP answer, or (under WEBSOCKET_ACCEPT_ALL) a greeting over the socket. */
async function plainView(request: HttpRequest, params: ViewParams): Promise<HttpResponse> {
  events.push(`view ${state(request)}`);
  if (request.websocket !== null) {
    await request.websocket.send(`hi ${JSON.stringify(params)}`);
    await request.websocket.wait(2000);
  }
  return new HttpResponse('plain');
}

async function greet(request: HttpRequest): Promise<HttpResponse | void> {
  events.push(`view ${state(request)}`);
  if (request.websocket === null) return new HttpResponse('plain');
  await request.websocket.send('hi');
}

async function failing(request: HttpRequest): Promise<void> {
  await request.websocket!.send('about to fail');
  throw new Error('view exploded');
}

/** A login_required-style decorator built with core's wraps(): lets `?user=` through, else 403. */
function userRequired<V extends (request: HttpRequest, params: ViewParams) => unknown>(view: V): V {
  return wraps(view)(((request: HttpRequest, params: ViewParams) => {
    events.push(`userRequired ${state(request)}`);
    if (request.GET.get('user') === null) return new HttpResponseForbidden('log in first');
    return view(request, params);
  }) as V);
}

/** The same decorator without wraps(): the WebSocket mode of what it wraps is hidden. */
function opaque<V extends (request: HttpRequest, params: ViewParams) => unknown>(view: V): V {
  return ((request: HttpRequest, params: ViewParams) => view(request, params)) as V;
}

const routes = [
  path('wrapped/', userRequired(acceptWebsocket(greet))),
  path('wrapped-twice/', userRequired(userRequired(requireWebsocket(greet)))),
  path('opaque/', opaque(acceptWebsocket(greet))),
  path('plain/', plainView),
  path('plain/<int:id>/', plainView),
  path('accept/', acceptWebsocket(greet)),
  path('require/', requireWebsocket(greet)),
  path('fail/', acceptWebsocket(failing)),
];

beforeEach(() => {
  events = [];
  viewError = deferred<unknown>();
});

describe.each<Stack>(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'])('WebSocketMiddleware in %s', (stack) => {
  let served: Served | null = null;
  const start = async (
    settings: Partial<Settings> = {},
    entries: Entry[] = [WebSocketMiddleware],
  ): Promise<Served> => {
    served = await serve({ ROOT_URLCONF: routes, ...stackSettings(stack, entries), ...settings });
    return served;
  };
  afterEach(async () => {
    await served?.close();
    served = null;
  });

  describe('a decorated view wrapped in another decorator', () => {
    it('built with wraps(): still a WebSocket view; the outer decorator runs before the 101', async () => {
      const { wsUrl } = await start({ WEBSOCKET_ACCEPT_ALL: false });
      const client = await connected(`${wsUrl}/wrapped/?user=ada`);
      expect(await client.receive()).toBe('hi');
      expect(events).toEqual([
        'userRequired websocket=false upgraded=false',
        'view websocket=true upgraded=true',
      ]);
      await client.closed;
    });

    it('built with wraps(): an answer from the outer decorator goes out as plain HTTP, no 101', async () => {
      const { port } = await start({ WEBSOCKET_ACCEPT_ALL: false });
      const raw = await rawHandshake(port, handshakeLines('/wrapped/', port));
      expect(raw.status).toBe(403);
      expect(raw.raw.toString('latin1')).not.toContain('101 Switching Protocols');
      expect(events).toEqual(['userRequired websocket=false upgraded=false']);
    });

    it('built with wraps() twice over: the innermost requireWebsocket still decides', async () => {
      const { wsUrl, url } = await start({ WEBSOCKET_ACCEPT_ALL: false });
      const client = await connected(`${wsUrl}/wrapped-twice/?user=ada`);
      expect(await client.receive()).toBe('hi');
      await client.closed;
      expect((await fetch(`${url}/wrapped-twice/?user=ada`)).status).toBe(400);
    });

    it('built without wraps(): looks undecorated, so WEBSOCKET_ACCEPT_ALL = false refuses it with 400', async () => {
      const { wsUrl } = await start({ WEBSOCKET_ACCEPT_ALL: false });
      expect((await refusal(`${wsUrl}/opaque/`)).status).toBe(400);
      expect(events).toEqual([]);
    });
  });

  describe('WEBSOCKET_ACCEPT_ALL', () => {
    it('true: an undecorated view accepts WebSockets', async () => {
      const { wsUrl } = await start({ WEBSOCKET_ACCEPT_ALL: true });
      const client = await connected(`${wsUrl}/plain/7/`);
      expect(await client.receive()).toBe('hi {"id":7}');
      expect((await client.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
    });

    it('true: plain HTTP still reaches the view as usual', async () => {
      const { url } = await start({ WEBSOCKET_ACCEPT_ALL: true });
      const response = await fetch(`${url}/plain/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('plain');
    });

    it('false: a WebSocket to an undecorated view gets 400, with one log line, and the view does not run', async () => {
      const { wsUrl, logger } = await start({ WEBSOCKET_ACCEPT_ALL: false });
      const refused = await refusal(`${wsUrl}/plain/`);
      expect(refused.status).toBe(400);
      expect(refused.body.toString()).toBe('');
      expect(events).toEqual([]);
      expect(logger.lines).toEqual([
        {
          level: 'warn',
          message:
            "Bad Request: WebSocket handshake to /plain/ refused: the view doesn't accept WebSocket connections (WEBSOCKET_ACCEPT_ALL is false)",
        },
      ]);
    });

    it('false: a handshake of another version to an undecorated view still gets 426, not 400', async () => {
      const { port } = await start({ WEBSOCKET_ACCEPT_ALL: false });
      const raw = await rawHandshake(port, handshakeLines('/plain/', port, { 'Sec-WebSocket-Version': '8' }));
      expect(raw.status).toBe(426);
      expect(raw.head).toMatch(/\r\nSec-WebSocket-Version: 13\r\n/i);
      expect(events).toEqual([]);
    });

    it('changed at runtime takes effect on the next handshake', async () => {
      const { app, wsUrl } = await start();
      const refused = { accepted: false, status: 400 };
      expect(await new WebSocketTestClient(`${wsUrl}/plain/`).connect()).toMatchObject(refused);
      await overrideSettings(app, { WEBSOCKET_ACCEPT_ALL: true }, async () => {
        const client = await connected(`${wsUrl}/plain/`);
        expect(await client.receive()).toBe('hi {}');
        await client.close(CloseCode.NORMAL);
      });
      expect(await new WebSocketTestClient(`${wsUrl}/plain/`).connect()).toMatchObject(refused);
    });
  });

  describe('decorated views', () => {
    it('are found inside include() too', async () => {
      served = await serve({
        ROOT_URLCONF: [include('nested/', [path('accept/', acceptWebsocket(greet))])],
        ...stackSettings(stack, [WebSocketMiddleware]),
      });
      const client = await connected(`${served.wsUrl}/nested/accept/`);
      expect(await client.receive()).toBe('hi');
      expect((await client.closed).code).toBe(CloseCode.NORMAL);
    });

    it.each([true, false])(
      'accept and require views accept WebSockets (WEBSOCKET_ACCEPT_ALL %s)',
      async (all) => {
        const { wsUrl } = await start({ WEBSOCKET_ACCEPT_ALL: all });
        for (const route of ['accept', 'require']) {
          const client = await connected(`${wsUrl}/${route}/`);
          expect(await client.receive()).toBe('hi');
          expect((await client.closed).code).toBe(CloseCode.NORMAL);
        }
      },
    );

    it('plain HTTP: acceptWebsocket gives the view response, requireWebsocket 400', async () => {
      const { url } = await start();
      expect(await (await fetch(`${url}/accept/`)).text()).toBe('plain');
      const required = await fetch(`${url}/require/`);
      expect(required.status).toBe(400);
      expect(await required.text()).toBe('');
    });
  });

  describe('a middleware that answers in processRequest', () => {
    it.each([
      ['after WebSocketMiddleware', [WebSocketMiddleware, Auth]],
      ['before WebSocketMiddleware', [Auth, WebSocketMiddleware]],
    ])('%s: its 403 goes out as plain HTTP and the socket is closed', async (_, entries) => {
      const { port, wsUrl, logger } = await start({ WEBSOCKET_ACCEPT_ALL: true }, [...entries, Recorder]);
      const refused = await refusal(`${wsUrl}/accept/`);
      expect(refused.status).toBe(403);
      expect(refused.body.toString()).toBe('no token');
      const raw = await rawHandshake(port, handshakeLines('/accept/', port));
      expect(raw.status).toBe(403);
      expect(raw.switchingCount).toBe(0);
      expect(raw.ended).toBe(true);
      expect(raw.head).toMatch(/\r\nConnection: close/);
      expect(events.some((event) => event.startsWith('view'))).toBe(false);
      expect(logger.at('error')).toEqual([]);
      // With the token the same URL upgrades.
      const client = await connected(`${wsUrl}/accept/?token=ok`);
      expect(await client.receive()).toBe('hi');
      await client.closed;
    });
  });

  describe('a middleware that answers in processView', () => {
    it('its response goes out as plain HTTP, with no handshake', async () => {
      const { port } = await start({ WEBSOCKET_ACCEPT_ALL: true }, [WebSocketMiddleware, ViewGuard]);
      for (const route of ['accept', 'plain']) {
        const raw = await rawHandshake(port, handshakeLines(`/${route}/`, port));
        expect(raw.status).toBe(403);
        expect(raw.switchingCount).toBe(0);
        expect(raw.rest.toString()).toBe('guarded');
        expect(raw.ended).toBe(true);
      }
      expect(events).toEqual([]);
    });
  });

  describe('order of events', () => {
    it('writes the 101 after every processRequest/processView, right before the view body', async () => {
      const { wsUrl } = await start({}, [WebSocketMiddleware, Recorder]);
      const client = await connected(`${wsUrl}/accept/`);
      expect(await client.receive()).toBe('hi');
      expect((await client.closed).code).toBe(CloseCode.NORMAL);
      await until(() => events.length === 4);
      expect(events).toEqual([
        'processRequest websocket=false upgraded=false',
        'processView websocket=false upgraded=false',
        'view websocket=true upgraded=true',
        'processResponse 101 closed=true',
      ]);
    });

    it('runs the middleware before WebSocketMiddleware the same way', async () => {
      const { wsUrl } = await start({ WEBSOCKET_ACCEPT_ALL: true }, [Recorder, WebSocketMiddleware]);
      const client = await connected(`${wsUrl}/plain/`);
      expect(await client.receive()).toBe('hi {}');
      await client.close(CloseCode.NORMAL);
      await until(() => events.length === 4);
      expect(events).toEqual([
        'processRequest websocket=false upgraded=false',
        'processView websocket=false upgraded=false',
        'view websocket=true upgraded=true',
        'processResponse 101 closed=true',
      ]);
    });

    it('processResponse sees the 101 only once the connection has ended', async () => {
      const { wsUrl } = await start({}, [WebSocketMiddleware, Recorder]);
      const client = await connected(`${wsUrl}/accept/`);
      expect(await client.receive()).toBe('hi');
      await client.closed;
      await until(() => events.some((event) => event.startsWith('processResponse')));
      expect(events.at(-1)).toBe('processResponse 101 closed=true');
    });
  });

  describe('how the connection ends', () => {
    it('closes with 1000 when the view returns', async () => {
      const { wsUrl, logger } = await start({ WEBSOCKET_ACCEPT_ALL: true });
      const client = await connected(`${wsUrl}/plain/`);
      expect(await client.receive()).toBe('hi {}');
      await client.send('bye');
      expect(await client.closed).toEqual({ code: CloseCode.NORMAL, reason: '' });
      expect(logger.lines).toEqual([]);
    });

    it('closes with 1011 when the view throws, and processException sees the error', async () => {
      const { wsUrl, logger } = await start({}, [WebSocketMiddleware, Recorder]);
      const client = await connected(`${wsUrl}/fail/`);
      expect(await client.receive()).toBe('about to fail');
      expect((await client.closed).code).toBe(CloseCode.INTERNAL_ERROR);
      expect(((await viewError.promise) as Error).message).toBe('view exploded');
      await until(() => logger.lines.length > 0);
      expect(logger.lines).toEqual([
        expect.objectContaining({ level: 'error', message: 'Internal Server Error: /fail/' }),
      ]);
    });

    it('answers a handshake for an unknown URL with a plain 404', async () => {
      const { port } = await start({ WEBSOCKET_ACCEPT_ALL: true });
      const raw = await rawHandshake(port, handshakeLines('/nowhere/', port));
      expect(raw.status).toBe(404);
      expect(raw.switchingCount).toBe(0);
      expect(raw.ended).toBe(true);
    });
  });
});

describe('onion outgoing half (MIDDLEWARE)', () => {
  it('a factory middleware sees status 101 after the connection ends', async () => {
    const seen: string[] = [];
    const outgoing = (getResponse: GetResponse) => async (request: HttpRequest) => {
      seen.push('in');
      const response = await getResponse(request);
      seen.push(`out ${response.statusCode} closed=${request.websocket?.closed}`);
      return response;
    };
    const served = await serve({ ROOT_URLCONF: routes, MIDDLEWARE: [outgoing, WebSocketMiddleware] });
    try {
      const client = await connected(`${served.wsUrl}/accept/`);
      expect(await client.receive()).toBe('hi');
      await client.closed;
      await until(() => seen.length === 2);
      expect(seen).toEqual(['in', 'out 101 closed=true']);
    } finally {
      await served.close();
    }
  });
});

describe('without WebSocketMiddleware', () => {
  it('an undecorated view answers a WebSocket request as plain HTTP', async () => {
    const served = await serve({ ROOT_URLCONF: routes, WEBSOCKET_ACCEPT_ALL: true });
    try {
      const refused = await refusal(`${served.wsUrl}/plain/`);
      expect(refused.status).toBe(200);
      expect(refused.body.toString()).toBe('plain');
      expect(events).toEqual(['view websocket=false upgraded=false']);
    } finally {
      await served.close();
    }
  });
});

describe('exactly one handshake', () => {
  type ViewKind = 'accept' | 'require' | 'undecorated';
  const cases: Array<[Stack | 'none', ViewKind, boolean, number]> = [];
  for (const stack of ['MIDDLEWARE', 'MIDDLEWARE_CLASSES', 'none'] as const) {
    for (const view of ['accept', 'require', 'undecorated'] as const) {
      for (const all of [true, false]) {
        const status = view !== 'undecorated' ? 101 : stack === 'none' ? 200 : all ? 101 : 400;
        cases.push([stack, view, all, status]);
      }
    }
  }

  it.each(cases)('%s, %s view, WEBSOCKET_ACCEPT_ALL %s: status %i', async (stack, view, all, status) => {
    const served = await serve({
      ROOT_URLCONF: [
        path('accept/', acceptWebsocket(greet)),
        path('require/', requireWebsocket(greet)),
        path('undecorated/', greet as (request: HttpRequest) => Promise<HttpResponse>),
      ],
      WEBSOCKET_ACCEPT_ALL: all,
      ...stackSettings(stack, [WebSocketMiddleware]),
    });
    try {
      const raw = await rawHandshake(served.port, handshakeLines(`/${view}/`, served.port));
      expect(raw.status).toBe(status);
      expect(raw.ended).toBe(true);
      if (status === 101) {
        expect(raw.switchingCount).toBe(1);
        // After the 101 only WebSocket frames: the greeting, then the close; no HTTP bytes at all.
        expect(raw.unparsed.length).toBe(0);
        expect(raw.frames.map((frame) => frame.opcode)).toEqual([Opcode.TEXT, Opcode.CLOSE]);
        expect(raw.frames[0]!.payload.toString()).toBe('hi');
        expect(closeCodeOf(raw.frames[1]!)).toBe(CloseCode.NORMAL);
        expect(raw.rest.includes('HTTP/')).toBe(false);
      } else {
        expect(raw.switchingCount).toBe(0);
      }
    } finally {
      await served.close();
    }
  });
});
