import { get as httpsGet } from 'node:https';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import type { ClientHttp2Session } from 'node:http2';
import {
  AccessLogMiddleware,
  createSelfSignedCertificate,
  HttpResponse,
  StreamingHttpResponse,
  path,
  type Application,
  type HttpRequest,
  type ListenOptions,
  type TlsOptions,
} from '@manouche/core';
import { createLoggedApp, type MemoryLogger } from './support/serve';
import { until } from './support/raw-http';
import { openSession, request } from './support/http2';
import { ErrorCode, exchangeFrames, headersFrame, resetCodeOf } from './support/h2-frames';

jest.setTimeout(20_000);

const tls: TlsOptions = createSelfSignedCertificate();

/** What a view saw of its request, as JSON. */
function describeRequest(request: HttpRequest): HttpResponse {
  return new HttpResponse(
    JSON.stringify({
      method: request.method,
      protocol: request.META.SERVER_PROTOCOL,
      scheme: request.scheme,
      secure: request.isSecure(),
      host: request.getHost(),
      cookies: request.COOKIES,
      body: request.body.toString(),
      form: request.POST.get('name'),
      headers: [...request.headers].map(([name]) => name),
      meta: Object.keys(request.META),
      remoteAddress: request.META.REMOTE_ADDR,
      serverPort: request.META.SERVER_PORT,
    }),
    { contentType: 'application/json' },
  );
}

const ROUTES = [
  path('echo/', describeRequest),
  path(
    'hop/',
    () => new HttpResponse('hop', { headers: { Connection: 'close', 'Keep-Alive': 'timeout=5' } }),
  ),
  path('empty/', () => new HttpResponse('', { status: 204 })),
  path('not-modified/', () => new HttpResponse('', { status: 304 })),
  path('slow/', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new HttpResponse('finished');
  }),
];

interface Listening {
  app: Application;
  logger: MemoryLogger;
  port: number;
}

async function serve(options: ListenOptions): Promise<Listening> {
  const { app, logger } = createLoggedApp({ ROOT_URLCONF: ROUTES });
  const server = await app.listen({ port: 0, host: '127.0.0.1', ...options });
  return { app, logger, port: (server.address() as AddressInfo).port };
}

function http1Get(url: string): Promise<{ status: number; body: string; version: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https') ? httpsGet : httpGet;
    get(url, { rejectUnauthorized: false }, (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body, version: response.httpVersion }),
      );
    }).on('error', reject);
  });
}

describe('app.listen({ tls, http2: true }): HTTP/2 over TLS', () => {
  let served: Listening;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    served = await serve({ tls, http2: true });
    session = await openSession(`https://127.0.0.1:${served.port}`);
  });
  afterAll(async () => {
    session.close();
    await served.app.close();
  });

  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and the stream limit', () => {
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(100);
  });

  it('runs a request through the stack as HTTP/2.0, secure, with the host from :authority', async () => {
    const answer = await request(session, { ':path': '/echo/' });
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body) as Record<string, unknown>;
    expect(seen).toMatchObject({
      method: 'GET',
      protocol: 'HTTP/2.0',
      scheme: 'https',
      secure: true,
      host: `127.0.0.1:${served.port}`,
      remoteAddress: '127.0.0.1',
      serverPort: String(served.port),
    });
  });

  it('never shows pseudo-headers to views, in headers or META', async () => {
    const seen = JSON.parse((await request(session, { ':path': '/echo/' })).body) as {
      headers: string[];
      meta: string[];
    };
    expect(seen.headers.filter((name) => name.startsWith(':'))).toEqual([]);
    expect(seen.meta.filter((name) => name.startsWith('HTTP_:') || name.includes(':'))).toEqual([]);
    expect(seen.headers).toContain('host');
  });

  it('joins a cookie split across several cookie fields, as one Cookie header', async () => {
    const answer = await request(session, { ':path': '/echo/', cookie: ['a=1', 'b=2'] });
    expect((JSON.parse(answer.body) as { cookies: unknown }).cookies).toEqual({ a: '1', b: '2' });
  });

  it('reads a form body as over HTTP/1.1', async () => {
    const answer = await request(
      session,
      { ':path': '/echo/', ':method': 'POST', 'content-type': 'application/x-www-form-urlencoded' },
      'name=django',
    );
    expect(JSON.parse(answer.body)).toMatchObject({ method: 'POST', form: 'django', body: 'name=django' });
  });

  it('drops connection-specific response headers', async () => {
    const answer = await request(session, { ':path': '/hop/' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('hop');
    expect(answer.headers.connection).toBeUndefined();
    expect(answer.headers['keep-alive']).toBeUndefined();
  });

  it('sends HEAD, 204 and 304 without a body', async () => {
    const head = await request(session, { ':path': '/echo/', ':method': 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(await request(session, { ':path': '/empty/' })).toMatchObject({ status: 204, body: '' });
    expect(await request(session, { ':path': '/not-modified/' })).toMatchObject({ status: 304, body: '' });
  });

  it('answers a Host outside ALLOWED_HOSTS with 400', async () => {
    const answer = await request(session, { ':path': '/echo/', ':authority': 'evil.example' });
    expect(answer.status).toBe(400);
  });

  it('answers an HTTP/1.1 client (no ALPN h2) on the same port', async () => {
    const answer = await http1Get(`https://127.0.0.1:${served.port}/echo/`);
    expect(answer.status).toBe(200);
    expect(answer.version).toBe('1.1');
    expect(JSON.parse(answer.body)).toMatchObject({ protocol: 'HTTP/1.1', secure: true });
  });

  it('refuses a plain CONNECT with 405 and another :protocol with 501, one line each', async () => {
    const before = served.logger.at('warn').length;
    const plain = await request(session, { ':method': 'CONNECT', ':authority': 'example.com:443' });
    expect(plain.status).toBe(405);
    const other = await request(session, {
      ':method': 'CONNECT',
      ':protocol': 'webtransport',
      ':path': '/echo/',
      ':scheme': 'https',
    });
    expect(other.status).toBe(501);
    expect(served.logger.at('warn').length - before).toBe(2);
  });

  it('drops a body whose stream is reset midway (no view runs), logs it, and keeps serving', async () => {
    const stream = session.request(
      { ':path': '/echo/', ':method': 'POST', 'content-length': '100000' },
      { endStream: false },
    );
    stream.on('error', () => undefined);
    stream.write(Buffer.alloc(1000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    stream.close(0x8); // CANCEL
    await until(() => served.logger.at('warn').some((line) => line.includes('Client disconnected')));
    const answer = await request(session, { ':path': '/echo/' });
    expect(answer.status).toBe(200);
    expect(served.logger.at('error')).toEqual([]);
  });
});

describe('AccessLogMiddleware over HTTP/2', () => {
  it('names the protocol the request came in', async () => {
    const { app, logger } = createLoggedApp({ ROOT_URLCONF: ROUTES, MIDDLEWARE: [AccessLogMiddleware] });
    const server = await app.listen({ port: 0, http2: true });
    const session = await openSession(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      await request(session, { ':path': '/hop/' });
      expect(logger.at('info')).toEqual([expect.stringMatching(/^"GET \/hop\/ HTTP\/2\.0" 200 3 /)]);
    } finally {
      session.close();
      await app.close();
    }
  });
});

describe('app.listen({ tls }): HTTPS/1.1', () => {
  it('serves HTTPS with HTTP/1.1, secure', async () => {
    const served = await serve({ tls });
    try {
      const answer = await http1Get(`https://127.0.0.1:${served.port}/echo/`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ protocol: 'HTTP/1.1', scheme: 'https', secure: true });
    } finally {
      await served.app.close();
    }
  });
});

describe('app.listen({ http2: true }): cleartext HTTP/2 (h2c) and HTTP/1.1 on one port', () => {
  let served: Listening;
  beforeAll(async () => {
    served = await serve({ http2: true });
  });
  afterAll(() => served.app.close());

  it('serves HTTP/2 with prior knowledge, not secure', async () => {
    const session = await openSession(`http://127.0.0.1:${served.port}`);
    try {
      const answer = await request(session, { ':path': '/echo/', cookie: ['a=1', 'b=2'] });
      expect(JSON.parse(answer.body)).toMatchObject({
        protocol: 'HTTP/2.0',
        scheme: 'http',
        secure: false,
        cookies: { a: '1', b: '2' },
      });
    } finally {
      session.close();
    }
  });

  it("gives an h2c request the client's address and the server's port in META", async () => {
    const session = await openSession(`http://127.0.0.1:${served.port}`);
    try {
      const answer = await request(session, { ':path': '/echo/' });
      expect(JSON.parse(answer.body)).toMatchObject({
        remoteAddress: '127.0.0.1',
        serverPort: String(served.port),
      });
    } finally {
      session.close();
    }
  });

  it('serves HTTP/1.1 on the same port', async () => {
    const answer = await http1Get(`http://127.0.0.1:${served.port}/echo/`);
    expect(JSON.parse(answer.body)).toMatchObject({ protocol: 'HTTP/1.1', scheme: 'http' });
  });
});

describe('HTTP/2 limits', () => {
  let served: Listening;
  let reached: number;
  beforeAll(async () => {
    const { app, logger } = createLoggedApp({
      ROOT_URLCONF: [
        path('count/', () => {
          reached += 1;
          return new HttpResponse('counted');
        }),
      ],
      HTTP2_MAX_CONCURRENT_STREAMS: 2,
      HTTP2_MAX_HEADER_LIST_SIZE: 1024,
    });
    const server = await app.listen({ port: 0, http2: true });
    served = { app, logger, port: (server.address() as AddressInfo).port };
  });
  afterAll(() => served.app.close());
  beforeEach(() => {
    reached = 0;
  });

  it('advertises HTTP2_MAX_CONCURRENT_STREAMS and HTTP2_MAX_HEADER_LIST_SIZE', async () => {
    const session = await openSession(`http://127.0.0.1:${served.port}`);
    try {
      expect(session.remoteSettings).toMatchObject({ maxConcurrentStreams: 2, maxHeaderListSize: 1024 });
    } finally {
      session.close();
    }
  });

  it('refuses a stream past HTTP2_MAX_CONCURRENT_STREAMS with RST_STREAM, the others carry on', async () => {
    const open = (stream: number): Buffer =>
      headersFrame(
        stream,
        [
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/count/'],
          [':authority', '127.0.0.1'],
        ],
        false,
      );
    const received = await exchangeFrames(served.port, [open(1), open(3), open(5)], (frames) =>
      frames.some((each) => each.stream === 5),
    );
    expect([ErrorCode.REFUSED_STREAM, ErrorCode.PROTOCOL_ERROR]).toContain(resetCodeOf(received, 5));
    expect(resetCodeOf(received, 1)).toBeNull();
  });

  it('resets a request whose headers pass HTTP2_MAX_HEADER_LIST_SIZE before any view runs', async () => {
    const session = await openSession(`http://127.0.0.1:${served.port}`);
    try {
      const stream = session.request({ ':path': '/count/', 'x-big': 'a'.repeat(4000) });
      const code = await new Promise<number>((resolve) => {
        stream.on('error', () => undefined);
        stream.on('close', () => resolve(stream.rstCode ?? 0));
      });
      expect(code).not.toBe(0);
      expect(reached).toBe(0);
      expect(await request(session, { ':path': '/count/' })).toMatchObject({ status: 200, body: 'counted' });
    } finally {
      session.close();
    }
  });
});

describe('HTTP/2 flow control', () => {
  it('holds back a streaming response to a peer that never reads: about one window per stream', async () => {
    const CHUNK = 16 * 1024;
    const STREAMS = 3;
    let pulled = 0;
    const chunk = Buffer.alloc(CHUNK, 0x78);
    const { app } = createLoggedApp({
      ROOT_URLCONF: [
        path(
          'stream/',
          () =>
            new StreamingHttpResponse(
              (function* () {
                for (let index = 0; index < 1000; index++) {
                  pulled += 1;
                  yield chunk;
                }
              })(),
            ),
        ),
      ],
    });
    const server = await app.listen({ port: 0, http2: true });
    const session = await openSession(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const streams = Array.from({ length: STREAMS }, () => session.request({ ':path': '/stream/' }).pause());
      await until(() => pulled >= STREAMS * 2);
      // However long this pause, the generators stay held back: without flow control they would
      // have produced all 3,000 chunks (48 MB) by now.
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The peer's 64 KiB window, the stream's 16 KiB write buffer, and the chunk in hand, per stream.
      expect(pulled).toBeLessThanOrEqual(STREAMS * ((64 * 1024 + 16 * 1024) / CHUNK + 1));
      for (const stream of streams) stream.destroy();
    } finally {
      session.destroy();
      await app.close();
    }
  });
});

describe('HTTP/2 and idle connections', () => {
  it('closes (GOAWAY) an HTTP/2 connection with no stream open after KEEP_ALIVE_TIMEOUT', async () => {
    const { app } = createLoggedApp({ ROOT_URLCONF: ROUTES, KEEP_ALIVE_TIMEOUT: 100 });
    const server = await app.listen({ port: 0, tls, http2: true });
    const session = await openSession(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
      expect((await request(session, { ':path': '/echo/' })).status).toBe(200);
      await goaway;
    } finally {
      session.close();
      await app.close();
    }
  });

  it('answers 408 (one line) a body that has not all come within REQUEST_TIMEOUT; no view runs', async () => {
    const { app, logger } = createLoggedApp({
      ROOT_URLCONF: ROUTES,
      REQUEST_TIMEOUT: 100,
      REQUEST_HEADERS_TIMEOUT: 100,
    });
    const server = await app.listen({ port: 0, tls, http2: true });
    const session = await openSession(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const stream = session.request(
        { ':path': '/echo/', ':method': 'POST', 'content-length': '1000' },
        { endStream: false },
      );
      stream.on('error', () => undefined);
      stream.write('only the start');
      const status = await new Promise<number>((resolve) =>
        stream.once('response', (headers) => resolve(Number(headers[':status']))),
      );
      expect(status).toBe(408);
      expect(logger.at('warn')).toEqual([expect.stringContaining('REQUEST_TIMEOUT (100 ms)')]);
      expect(logger.at('error')).toEqual([]);
    } finally {
      session.close();
      await app.close();
    }
  });

  it('closes a cleartext connection that sends nothing within REQUEST_HEADERS_TIMEOUT', async () => {
    const { app } = createLoggedApp({ ROOT_URLCONF: ROUTES, REQUEST_HEADERS_TIMEOUT: 100 });
    const server = await app.listen({ port: 0, http2: true });
    try {
      const socket = connectTcp((server.address() as AddressInfo).port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume(); // it is answered 408 first: read it, or the end never comes
      await new Promise((resolve) => socket.once('close', resolve));
    } finally {
      await app.close();
    }
  });
});

describe('app.close() over HTTP/2', () => {
  it('sends GOAWAY and lets an in-flight stream finish', async () => {
    const served = await serve({ tls, http2: true });
    const session = await openSession(`https://127.0.0.1:${served.port}`);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const inFlight = request(session, { ':path': '/slow/' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = served.app.close();
    await goaway;
    expect(await inFlight).toMatchObject({ status: 200, body: 'finished' });
    await closed;
    session.close();
  });
});

describe('app.listen(port, host)', () => {
  it('still serves plain HTTP/1.1', async () => {
    const { app } = createLoggedApp({ ROOT_URLCONF: ROUTES });
    const server = await app.listen(0, '127.0.0.1');
    try {
      const answer = await http1Get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/echo/`);
      expect(JSON.parse(answer.body)).toMatchObject({ protocol: 'HTTP/1.1', secure: false });
    } finally {
      await app.close();
    }
  });
});
