import {
  createApp,
  HttpResponse,
  ImproperlyConfigured,
  MiddlewareMixin,
  path,
  type Application,
  type Logger,
} from '@manouche/core';
import { acceptWebsocket, WebSocketMiddleware } from '@manouche/websocket';
import { Client, LiveServer, overrideSettings, WebSocketTestClient } from '@manouche/testing';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function makeApp(): Application {
  return createApp({
    LOGGER: silent,
    MIDDLEWARE: [WebSocketMiddleware],
    ROOT_URLCONF: [
      path('ok/', () => new HttpResponse('ok')),
      path('boom/', () => {
        throw new Error('kaboom in the view');
      }),
      path('plain/', async (request) => {
        if (request.websocket !== null) {
          await request.websocket.send('upgraded');
          return new HttpResponse();
        }
        return new HttpResponse('plain');
      }),
      path(
        'echo/',
        acceptWebsocket(async (request) => {
          const ws = request.websocket;
          if (ws !== null) for await (const message of ws) await ws.send(message);
          return new HttpResponse();
        }),
      ),
    ],
  });
}

describe('overrideSettings', () => {
  let app: Application;
  let client: Client;
  beforeEach(() => {
    app = makeApp();
    client = new Client(app);
  });

  it('makes a DEBUG change take effect at request time inside fn, and restores it after', async () => {
    expect((await client.get('/boom/')).text).not.toContain('kaboom in the view');
    const inside = await overrideSettings(app, { DEBUG: true }, () => client.get('/boom/'));
    expect(inside.statusCode).toBe(500);
    expect(inside.text).toContain('kaboom in the view');
    expect(app.settings.DEBUG).toBe(false);
    expect((await client.get('/boom/')).text).not.toContain('kaboom in the view');
  });

  it('makes an ALLOWED_HOSTS change take effect at request time, and restores it after', async () => {
    expect((await client.get('/ok/')).statusCode).toBe(200);
    const inside = await overrideSettings(app, { ALLOWED_HOSTS: ['example.com'] }, () => client.get('/ok/'));
    expect(inside.statusCode).toBe(400);
    expect((await client.get('/ok/')).statusCode).toBe(200);
  });

  it('makes a WEBSOCKET_ACCEPT_ALL change take effect for handshakes, and restores it after', async () => {
    const server = new LiveServer(app);
    await server.start();
    try {
      const before = await new WebSocketTestClient(`${server.wsUrl}/plain/`).connect();
      expect(before.status).toBe(400);
      await overrideSettings(app, { WEBSOCKET_ACCEPT_ALL: true }, async () => {
        const ws = new WebSocketTestClient(`${server.wsUrl}/plain/`);
        expect((await ws.connect()).accepted).toBe(true);
        expect(await ws.receive()).toBe('upgraded');
        expect((await ws.closed).code).toBe(1000);
      });
      const after = await new WebSocketTestClient(`${server.wsUrl}/plain/`).connect();
      expect(after.status).toBe(400);
    } finally {
      await server.stop();
    }
  });

  it('restores the settings when fn throws, and rejects with its error', async () => {
    await expect(
      overrideSettings(app, { DEBUG: true, ALLOWED_HOSTS: ['example.com'] }, () => {
        throw new Error('fn failed');
      }),
    ).rejects.toThrow('fn failed');
    expect(app.settings.DEBUG).toBe(false);
    expect((await client.get('/ok/')).statusCode).toBe(200);
  });

  it('restores the settings when an async fn rejects', async () => {
    await expect(
      overrideSettings(app, { ALLOWED_HOSTS: ['example.com'] }, async () => {
        await client.get('/ok/');
        throw new Error('async fn failed');
      }),
    ).rejects.toThrow('async fn failed');
    expect((await client.get('/ok/')).statusCode).toBe(200);
  });

  it("resolves to a sync fn's result", async () => {
    await expect(overrideSettings(app, { DEBUG: true }, () => app.settings.DEBUG)).resolves.toBe(true);
  });

  it("resolves to an async fn's result", async () => {
    const status = await overrideSettings(app, { ALLOWED_HOSTS: ['example.com'] }, async () => {
      const response = await client.get('/ok/');
      return response.statusCode;
    });
    expect(status).toBe(400);
  });

  it('removes a setting afterwards that was not set before', async () => {
    const settings = app.settings as unknown as Record<string, unknown>;
    delete settings.SECURE_REFERRER_POLICY;
    await overrideSettings(app, { SECURE_REFERRER_POLICY: 'no-referrer' }, () => {
      expect(app.settings.SECURE_REFERRER_POLICY).toBe('no-referrer');
    });
    expect('SECURE_REFERRER_POLICY' in settings).toBe(false);
  });

  it('applies a patch with an own __proto__ key as a setting, leaving the prototype of the settings alone', async () => {
    const patch = JSON.parse('{"__proto__": {"DEBUG": true}, "constructor": 1}') as Record<string, unknown>;
    const prototype: unknown = Object.getPrototypeOf(app.settings);
    await overrideSettings(app, patch, () => {
      expect(Object.getPrototypeOf(app.settings)).toBe(prototype);
      expect(Object.getOwnPropertyDescriptor(app.settings, '__proto__')?.value).toEqual({ DEBUG: true });
      expect(app.settings.constructor).toBe(1);
      expect(app.settings.DEBUG).toBe(false);
    });
    expect(Object.getPrototypeOf(app.settings)).toBe(prototype);
    expect(Object.hasOwn(app.settings, '__proto__')).toBe(false);
    expect(Object.hasOwn(app.settings, 'constructor')).toBe(false);
  });

  it('restores the outer patch after a nested override', async () => {
    await overrideSettings(app, { DEBUG: true }, async () => {
      await overrideSettings(app, { DEBUG: false }, () => {
        expect(app.settings.DEBUG).toBe(false);
      });
      expect(app.settings.DEBUG).toBe(true);
    });
    expect(app.settings.DEBUG).toBe(false);
  });

  it.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES', 'ROOT_URLCONF', 'TEMPLATES'] as const)(
    'throws ImproperlyConfigured for %s, which createApp loaded once, without calling fn',
    async (name) => {
      let called = false;
      const patch = { [name]: name === 'ROOT_URLCONF' ? [] : [MiddlewareMixin] };
      const attempt = overrideSettings(app, patch, () => {
        called = true;
      });
      await expect(attempt).rejects.toBeInstanceOf(ImproperlyConfigured);
      await expect(attempt).rejects.toThrow(name);
      expect(called).toBe(false);
      expect(app.settings.MIDDLEWARE).toEqual([WebSocketMiddleware]);
    },
  );
});
