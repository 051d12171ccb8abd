import { connect } from 'node:http2';
import {
  createApp,
  createSelfSignedCertificate,
  HttpResponse,
  JsonResponse,
  path,
  type Logger,
} from '@manouche/core';
import { LiveServer } from '@manouche/testing';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function makeServer(): LiveServer {
  return new LiveServer(
    createApp({
      LOGGER: silent,
      ROOT_URLCONF: [
        path('hello/', () => new HttpResponse('hello over a socket')),
        path(
          'echo/',
          (request) => new JsonResponse({ method: request.method, name: request.POST.get('name') }),
        ),
      ],
    }),
  );
}

describe('LiveServer', () => {
  describe('while started', () => {
    const server = makeServer();
    beforeAll(() => server.start());
    afterAll(() => server.stop());

    it('gives url as http://127.0.0.1:PORT with no trailing slash', () => {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.port).toBeGreaterThan(0);
    });

    it('gives wsUrl as ws://127.0.0.1:PORT on the same port', () => {
      expect(server.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}`);
    });

    it('serves the application to fetch', async () => {
      const response = await fetch(`${server.url}/hello/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('hello over a socket');
    });

    it('reads request bodies sent over the socket', async () => {
      const response = await fetch(`${server.url}/echo/`, {
        method: 'POST',
        body: new URLSearchParams({ name: 'Django' }),
      });
      expect(await response.json()).toEqual({ method: 'POST', name: 'Django' });
    });

    it('answers 404 over the socket for an unknown path', async () => {
      expect((await fetch(`${server.url}/nowhere/`)).status).toBe(404);
    });
  });

  it('resolves start() to the server itself', async () => {
    const server = makeServer();
    expect(await server.start()).toBe(server);
    await server.stop();
  });

  it('closes the port on stop(), so a later fetch fails', async () => {
    const server = makeServer();
    await server.start();
    const url = `${server.url}/hello/`;
    expect((await fetch(url)).status).toBe(200);
    await server.stop();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('throws a clear error when url is read before start()', () => {
    expect(() => makeServer().url).toThrow('The LiveServer is not started');
  });

  it('throws a clear error when url is read after stop()', async () => {
    const server = makeServer();
    await server.start();
    await server.stop();
    expect(() => server.wsUrl).toThrow('The LiveServer is not started');
  });

  it('gives two servers two different ports', async () => {
    const first = makeServer();
    const second = makeServer();
    await Promise.all([first.start(), second.start()]);
    try {
      expect(first.port).not.toBe(second.port);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe('LiveServer with { tls, http2 }', () => {
  const server = new LiveServer(
    createApp({
      LOGGER: silent,
      ROOT_URLCONF: [path('hello/', (request) => new HttpResponse(request.serverProtocol))],
    }),
    { tls: createSelfSignedCertificate(), http2: true },
  );
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('gives url as https://127.0.0.1:PORT and wsUrl as wss://127.0.0.1:PORT', () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.wsUrl).toBe(`wss://127.0.0.1:${server.port}`);
  });

  it('serves HTTP/2 over TLS', async () => {
    const session = connect(server.url, { rejectUnauthorized: false });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/hello/' });
        let text = '';
        stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        stream.on('end', () => resolve(text)).on('error', reject);
      });
      expect(body).toBe('HTTP/2.0');
    } finally {
      session.close();
    }
  });
});
