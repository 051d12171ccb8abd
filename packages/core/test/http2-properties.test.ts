import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientHttp2Session } from 'node:http2';
import { createApp, JsonResponse, path, type Application, type HttpRequest } from '@manouche/core';
import fc from './support/fast-check';
import { openSession, request } from './support/http2';

// Whatever path, query and cookies a client sends, a view sees the same request over HTTP/2 as over
// HTTP/1.1 on the same port (h2c beside HTTP/1.1), or the same refusal.

jest.setTimeout(60_000);

function seen(request: HttpRequest): JsonResponse {
  return new JsonResponse({
    path: request.path,
    query: [...request.GET.keys()].map((key) => [key, request.GET.getAll(key)]),
    cookies: request.COOKIES,
    custom: request.headers.get('x-custom'),
  });
}

let app: Application;
let port: number;
let session: ClientHttp2Session;

beforeAll(async () => {
  app = createApp({
    ROOT_URLCONF: [path('<path:rest>', seen), path('', seen)],
    LOGGER: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const server = await app.listen({ port: 0, http2: true });
  port = (server.address() as AddressInfo).port;
  session = await openSession(`http://127.0.0.1:${port}`);
});
afterAll(async () => {
  session.close();
  await app.close();
});

function overHttp1(
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Request targets built from characters that matter to paths and queries, escaped as a client would. */
const segment = fc.string({
  unit: fc.constantFrom('a', 'é', ' ', '%', '+', '=', '&', '/', '~', '.'),
  maxLength: 8,
});
const target = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.array(fc.tuple(segment, segment), { maxLength: 3 }))
  .map(([segments, pairs]) => {
    const pathPart = `/${segments.map(encodeURIComponent).join('/')}`;
    const query = pairs
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
      .join('&');
    return query === '' ? pathPart : `${pathPart}?${query}`;
  });
const cookieName = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_', '1'), minLength: 1, maxLength: 4 });
const cookieValue = fc.string({ unit: fc.constantFrom('x', 'y', '2', '-', '.'), maxLength: 6 });
const cookies = fc.uniqueArray(fc.tuple(cookieName, cookieValue), {
  selector: ([name]) => name,
  maxLength: 4,
});
const custom = fc
  .string({ unit: fc.constantFrom('v', ' ', '!', 'é'), minLength: 1, maxLength: 10 })
  .map((value) => value.trim() || 'v');

describe('HTTP/2 and HTTP/1.1 on one port', () => {
  it('give a view the same path, query, cookies and headers', async () => {
    await fc.assert(
      fc.asyncProperty(target, cookies, custom, async (path, jar, header) => {
        const value = Buffer.from(header, 'utf8').toString('latin1');
        const http1 = await overHttp1(path, {
          cookie: jar.map(([name, text]) => `${name}=${text}`).join('; '),
          'x-custom': value,
        });
        const http2 = await request(session, {
          ':path': path,
          // HTTP/2 clients may send each cookie in a field of its own (RFC 9113 8.2.3).
          cookie: jar.map(([name, text]) => `${name}=${text}`),
          'x-custom': value,
        });
        expect({ status: http2.status, body: http2.body }).toEqual(http1);
      }),
      { numRuns: 60 },
    );
  });
});
