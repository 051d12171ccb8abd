import { get } from 'node:http';
import {
  BadHeaderError,
  HttpResponse,
  HttpResponseBadRequest,
  HttpResponseForbidden,
  HttpResponseGone,
  HttpResponseNotAllowed,
  HttpResponseNotFound,
  HttpResponseNotModified,
  HttpResponsePermanentRedirect,
  HttpResponseRedirect,
  HttpResponseServerError,
  JsonResponse,
  StreamingHttpResponse,
  SuspiciousOperation,
  path,
} from '@manouche/core';
import { httpRequest, rawExchange } from './support/raw-http';
import { serve, type Served } from './support/serve';

describe('HttpResponse', () => {
  it('defaults to 200, text/html; charset=utf-8 and an empty body', () => {
    const response = new HttpResponse();
    expect(response.statusCode).toBe(200);
    expect(response.reasonPhrase).toBe('OK');
    expect(response.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
    expect(response.content).toEqual(Buffer.alloc(0));
    expect(response.text).toBe('');
    expect(response.streaming).toBe(false);
  });

  it('holds string and Buffer content as bytes, and content may be replaced', () => {
    const response = new HttpResponse('café');
    expect(response.content).toEqual(Buffer.from('café'));
    expect(response.text).toBe('café');
    response.content = Buffer.from([0x68, 0x69]);
    expect(response.text).toBe('hi');
    response.content = '{"a":1}';
    expect(response.json()).toEqual({ a: 1 });
  });

  it('gives the UTF-8 bytes of string content, the same Buffer on every read', () => {
    const response = new HttpResponse('naïve');
    expect(response.content.equals(Buffer.from('naïve', 'utf8'))).toBe(true);
    expect(response.content).toBe(response.content);
    response.content = 'ü';
    expect(response.content.length).toBe(2);
    expect(response.text).toBe('ü');
  });

  it('takes a status, content type, headers (record or pairs) and a reason phrase', () => {
    const response = new HttpResponse('x', {
      status: 201,
      contentType: 'text/plain',
      headers: { 'X-One': 1 },
      reason: 'Made It',
    });
    expect(response.statusCode).toBe(201);
    expect(response.reasonPhrase).toBe('Made It');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-one')).toBe('1');
    const fromPairs = new HttpResponse('', { headers: [['X-Two', 'b']] });
    expect(fromPairs.headers.get('X-TWO')).toBe('b');
  });

  it('lets a Content-Type in headers win over the default', () => {
    expect(
      new HttpResponse('', { headers: { 'content-type': 'text/csv' } }).headers.get('Content-Type'),
    ).toBe('text/csv');
  });

  it.each([100, 101, 199, 200, 204, 299, 304, 418, 499, 599])('accepts status %i', (status) => {
    expect(new HttpResponse('', { status }).statusCode).toBe(status);
  });

  it.each([0, 99, 600, 999, -200, 200.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects status %p',
    (status) => {
      expect(() => new HttpResponse('', { status })).toThrow(TypeError);
    },
  );

  describe('headers', () => {
    it('are case-insensitive for get, set, has and delete', () => {
      const response = new HttpResponse();
      response.headers.set('X-Custom-Header', 'a');
      expect(response.headers.get('x-custom-header')).toBe('a');
      expect(response.headers.has('X-CUSTOM-HEADER')).toBe(true);
      response.headers.set('x-custom-header', 'b');
      expect(response.headers.get('X-Custom-Header')).toBe('b');
      expect([...response.headers].filter(([name]) => name.toLowerCase() === 'x-custom-header')).toEqual([
        ['x-custom-header', 'b'],
      ]);
      expect(response.headers.delete('X-CUSTOM-header')).toBe(true);
      expect(response.headers.has('x-custom-header')).toBe(false);
      expect(response.headers.get('x-custom-header')).toBeNull();
    });

    it('setDefault only fills an absent header', () => {
      const response = new HttpResponse();
      response.headers.setDefault('content-type', 'text/plain');
      expect(response.headers.get('Content-Type')).toBe('text/html; charset=utf-8');
      response.headers.setDefault('Cache-Control', 'no-cache');
      expect(response.headers.get('cache-control')).toBe('no-cache');
    });

    it('refuse a value with a newline (header injection) with BadHeaderError', () => {
      expect(() => new HttpResponse().headers.set('X-Evil', 'a\r\nSet-Cookie: x=1')).toThrow(BadHeaderError);
      expect(() => new HttpResponse('', { headers: { 'X-Evil': 'a\nb' } })).toThrow(BadHeaderError);
    });
  });

  describe('subclasses', () => {
    it.each([
      ['HttpResponseBadRequest', new HttpResponseBadRequest('bad'), 400],
      ['HttpResponseForbidden', new HttpResponseForbidden('no'), 403],
      ['HttpResponseNotFound', new HttpResponseNotFound('gone'), 404],
      ['HttpResponseNotAllowed', new HttpResponseNotAllowed(['GET']), 405],
      ['HttpResponseGone', new HttpResponseGone(), 410],
      ['HttpResponseServerError', new HttpResponseServerError('oops'), 500],
      ['HttpResponseRedirect', new HttpResponseRedirect('/next/'), 302],
      ['HttpResponsePermanentRedirect', new HttpResponsePermanentRedirect('/next/'), 301],
      ['HttpResponseNotModified', new HttpResponseNotModified(), 304],
      ['JsonResponse', new JsonResponse({}), 200],
    ])('%s has status its status', (_name, response, status) => {
      expect(response).toBeInstanceOf(HttpResponse);
      expect(response.statusCode).toBe(status);
    });

    it('keep their content and other init options', () => {
      const response = new HttpResponseNotFound('<p>missing</p>', { headers: { 'X-Why': 'gone' } });
      expect(response.text).toBe('<p>missing</p>');
      expect(response.headers.get('x-why')).toBe('gone');
    });

    it('HttpResponseNotAllowed lists the permitted methods in Allow, upper case', () => {
      expect(new HttpResponseNotAllowed(['get', 'POST']).headers.get('Allow')).toBe('GET, POST');
    });

    it('HttpResponseNotModified carries no Content-Type', () => {
      expect(new HttpResponseNotModified().headers.has('Content-Type')).toBe(false);
    });

    it('redirects put the URL, percent-encoded, in Location and keep existing escapes', () => {
      const response = new HttpResponseRedirect('/search/a b/?q=caf%C3%A9&x=é');
      expect(response.headers.get('Location')).toBe('/search/a%20b/?q=caf%C3%A9&x=%C3%A9');
      expect(response.url).toBe(response.headers.get('Location'));
      expect(new HttpResponsePermanentRedirect('https://example.com/').url).toBe('https://example.com/');
    });

    it.each(['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'JavaScript:x'])(
      'redirects refuse the unsafe URL %s',
      (url) => {
        expect(() => new HttpResponseRedirect(url)).toThrow(SuspiciousOperation);
        expect(() => new HttpResponsePermanentRedirect(url)).toThrow(SuspiciousOperation);
      },
    );
  });

  describe('JsonResponse', () => {
    it('serializes any JSON value with Content-Type application/json', () => {
      const response = new JsonResponse({ a: [1, 'two', null] });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.text).toBe('{"a":[1,"two",null]}');
      expect(new JsonResponse([1, 2]).json()).toEqual([1, 2]);
      expect(new JsonResponse('text').json()).toBe('text');
      expect(new JsonResponse(null).text).toBe('null');
      expect(new JsonResponse(undefined).text).toBe('null');
    });

    it('takes a status, a replacer, indentation and another content type', () => {
      const response = new JsonResponse(
        { keep: 1, drop: 2 },
        {
          status: 201,
          replacer: (key, value) => (key === 'drop' ? undefined : value),
          space: 2,
          contentType: 'application/vnd.api+json',
        },
      );
      expect(response.statusCode).toBe(201);
      expect(response.text).toBe('{\n  "keep": 1\n}');
      expect(response.headers.get('Content-Type')).toBe('application/vnd.api+json');
    });
  });

  describe('cookies', () => {
    it('setCookie keeps the last value per name; deleteCookie expires it', () => {
      const response = new HttpResponse();
      response.setCookie('a', '1');
      response.setCookie('a', '2');
      response.deleteCookie('b');
      expect([...response.cookies.keys()]).toEqual(['a', 'b']);
      expect(response.cookies.get('a')).toBe('a=2; Path=/');
      expect(response.cookies.get('b')).toContain('Max-Age=0');
    });
  });
});

describe('StreamingHttpResponse', () => {
  it('has no content, and collect() reads its chunks', async () => {
    const response = new StreamingHttpResponse(['a', Buffer.from('b'), new Uint8Array([0x63])]);
    expect(response.streaming).toBe(true);
    expect(() => response.content).toThrow(TypeError);
    expect(() => {
      response.content = 'x';
    }).toThrow(TypeError);
    expect((await response.collect()).toString()).toBe('abc');
  });
});

describe('responses over a real socket', () => {
  let served: Served;
  // The streaming views hand their generators' progress to the tests through these.
  const streams = {
    finallyRan: null as Promise<void> | null,
    produced: 0,
    received: 0,
    maxLead: 0,
  };
  const LARGE_CHUNK = 64 * 1024;
  const LARGE_CHUNKS = 1024; // 64 MiB

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: [
        path(
          'status/<int:code>/',
          (_request, params) => new HttpResponse('body', { status: params.code as number }),
        ),
        path('reason/', () => new HttpResponse('', { status: 299, reason: 'Fine Enough' })),
        path('utf8/', () => new HttpResponse('café')),
        path('latin1-header/', () => new HttpResponse('café', { headers: { 'X-Place': 'Café' } })),
        path('json/', () => new JsonResponse({ ok: true }, { status: 202 })),
        path('headers/', () => {
          const response = new HttpResponse('', { headers: { 'X-First': 'a' } });
          response.headers.set('x-first', 'b');
          response.headers.set('X-Mixed-Case', 'c');
          return response;
        }),
        path('redirect/', () => new HttpResponseRedirect('/target/?x=a b')),
        path('permanent/', () => new HttpResponsePermanentRedirect('https://example.com/')),
        path('not-allowed/', () => new HttpResponseNotAllowed(['get', 'head'])),
        path('cookies/', () => {
          const response = new HttpResponse('cookies');
          response.setCookie('plain', 'v1');
          response.setCookie('plain', 'v2');
          response.setCookie('full', 'x y', {
            maxAge: 3600,
            path: '/app',
            domain: 'example.com',
            secure: true,
            httpOnly: true,
            sameSite: 'Lax',
          });
          response.setCookie('dated', 'd', { expires: new Date('2030-01-02T03:04:05Z') });
          response.setCookie('strict', 's', { sameSite: 'strict' });
          response.setCookie('cross', 'c', { sameSite: 'None', secure: true });
          response.deleteCookie('old');
          response.deleteCookie('__Secure-token', { path: '/p', domain: 'example.com' });
          return response;
        }),
        path('stream/', () => {
          async function* chunks(): AsyncGenerator<string | Buffer | Uint8Array> {
            yield 'one,';
            yield Buffer.from('two,');
            yield new Uint8Array(Buffer.from('three'));
          }
          return new StreamingHttpResponse(chunks(), { contentType: 'text/plain', status: 206 });
        }),
        path('stream-sync/', () => new StreamingHttpResponse(['a', 'b', 'c'])),
        path('endless/', () => {
          let markFinished!: () => void;
          streams.finallyRan = new Promise((resolve) => (markFinished = resolve));
          async function* endless(): AsyncGenerator<Buffer> {
            try {
              for (;;) yield Buffer.alloc(16 * 1024, 'x');
            } finally {
              markFinished();
            }
          }
          return new StreamingHttpResponse(endless());
        }),
        path('large/', () => {
          streams.produced = 0;
          streams.maxLead = 0;
          async function* large(): AsyncGenerator<Buffer> {
            for (let index = 0; index < LARGE_CHUNKS; index++) {
              streams.produced += LARGE_CHUNK;
              streams.maxLead = Math.max(streams.maxLead, streams.produced - streams.received);
              yield Buffer.alloc(LARGE_CHUNK, index % 256);
            }
          }
          return new StreamingHttpResponse(large(), { contentType: 'application/octet-stream' });
        }),
        path('broken-stream/', () => {
          async function* broken(): AsyncGenerator<string> {
            yield 'partial';
            throw new Error('the source failed');
          }
          return new StreamingHttpResponse(broken());
        }),
        path('ok/', () => new HttpResponse('ok')),
      ],
    });
  });
  afterAll(() => served.close());

  it.each([200, 201, 202, 299, 400, 404, 418, 451, 500, 503, 599])(
    'sends status %i with its body',
    async (status) => {
      const response = await fetch(`${served.url}/status/${status}/`);
      expect(response.status).toBe(status);
      expect(await response.text()).toBe('body');
    },
  );

  it.each([204, 304])('sends status %i without a body', async (status) => {
    const response = await httpRequest(`${served.url}/status/${status}/`);
    expect(response.status).toBe(status);
    expect(response.body.length).toBe(0);
  });

  it('writes the reason phrase on the status line', async () => {
    const response = await rawExchange(
      served.port,
      'GET /reason/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(response.head.split('\r\n')[0]).toBe('HTTP/1.1 299 Fine Enough');
  });

  it('sends Content-Length in bytes, not characters', async () => {
    const response = await fetch(`${served.url}/utf8/`);
    expect(response.headers.get('content-length')).toBe('5');
    expect(await response.text()).toBe('café');
  });

  it('writes a Latin-1 header value as one byte per character next to a UTF-8 string body', async () => {
    const response = await rawExchange(
      served.port,
      'GET /latin1-header/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    const headerLine = Buffer.from('X-Place: Caf\xe9\r\n', 'latin1');
    expect(response.raw.includes(headerLine)).toBe(true);
    expect(response.body.equals(Buffer.from('café', 'utf8'))).toBe(true);
  });

  it('sends a JsonResponse with its status and type', async () => {
    const response = await fetch(`${served.url}/json/`);
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ok: true });
  });

  it('writes one header per name, spelled as last set', async () => {
    const response = await httpRequest(`${served.url}/headers/`);
    const names = response.rawHeaders.filter((_value, index) => index % 2 === 0);
    expect(names.filter((name) => name.toLowerCase() === 'x-first')).toEqual(['x-first']);
    expect(response.headers['x-first']).toBe('b');
    expect(names).toContain('X-Mixed-Case');
  });

  it('sends redirects with their status and Location', async () => {
    const temporary = await fetch(`${served.url}/redirect/`, { redirect: 'manual' });
    expect(temporary.status).toBe(302);
    expect(temporary.headers.get('location')).toBe('/target/?x=a%20b');
    const permanent = await fetch(`${served.url}/permanent/`, { redirect: 'manual' });
    expect(permanent.status).toBe(301);
    expect(permanent.headers.get('location')).toBe('https://example.com/');
  });

  it('sends 405 with Allow', async () => {
    const response = await fetch(`${served.url}/not-allowed/`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('sends one Set-Cookie per cookie, with every option', async () => {
    const response = await fetch(`${served.url}/cookies/`);
    const cookies = new Map(
      response.headers.getSetCookie().map((line) => [line.slice(0, line.indexOf('=')), line.split('; ')]),
    );
    expect([...cookies.keys()].sort()).toEqual([
      '__Secure-token',
      'cross',
      'dated',
      'full',
      'old',
      'plain',
      'strict',
    ]);
    expect(cookies.get('plain')).toEqual(['plain=v2', 'Path=/']);
    const full = cookies.get('full')!;
    expect(full[0]).toBe('full=x%20y');
    expect(full).toEqual(
      expect.arrayContaining([
        'Max-Age=3600',
        'Domain=example.com',
        'Path=/app',
        'HttpOnly',
        'Secure',
        'SameSite=Lax',
      ]),
    );
    // max-age also sets Expires, an hour from now, as Django does.
    const expires = full.find((part) => part.startsWith('Expires='))!;
    const inAnHour = Date.parse(expires.slice('Expires='.length)) - Date.now();
    expect(inAnHour).toBeGreaterThan(3500_000);
    expect(inAnHour).toBeLessThanOrEqual(3600_000);
    expect(cookies.get('dated')).toEqual(['dated=d', 'Path=/', 'Expires=Wed, 02 Jan 2030 03:04:05 GMT']);
    expect(cookies.get('strict')).toContain('SameSite=Strict');
    expect(cookies.get('cross')).toEqual(expect.arrayContaining(['SameSite=None', 'Secure']));
    expect(cookies.get('old')).toEqual(
      expect.arrayContaining(['old=', 'Max-Age=0', 'Path=/', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT']),
    );
    // A __Secure- cookie can only be deleted by a Secure Set-Cookie.
    expect(cookies.get('__Secure-token')).toEqual(
      expect.arrayContaining(['__Secure-token=', 'Max-Age=0', 'Path=/p', 'Domain=example.com', 'Secure']),
    );
  });

  describe('streaming', () => {
    it('streams every chunk of an async generator, chunked, with its status and type', async () => {
      const response = await fetch(`${served.url}/stream/`);
      expect(response.status).toBe(206);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(response.headers.get('content-length')).toBeNull();
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
      expect(await response.text()).toBe('one,two,three');
    });

    it('streams a plain iterable', async () => {
      expect(await (await fetch(`${served.url}/stream-sync/`)).text()).toBe('abc');
    });

    it("runs the generator's finally when the client disconnects mid-stream, and keeps serving", async () => {
      const before = served.logger.lines.length;
      await new Promise<void>((resolve, reject) => {
        const request = get(`${served.url}/endless/`, (response) => {
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error) => {
          if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
        });
      });
      await streams.finallyRan;
      expect(served.logger.lines.slice(before).filter((line) => line.level === 'error')).toEqual([]);
      expect(await (await fetch(`${served.url}/ok/`)).text()).toBe('ok');
    });

    it('pulls a large body only as fast as the client reads it (backpressure)', async () => {
      streams.received = 0;
      const total = await new Promise<number>((resolve, reject) => {
        get(`${served.url}/large/`, (response) => {
          response.on('data', (chunk: Buffer) => (streams.received += chunk.length));
          response.on('end', () => resolve(streams.received));
          response.on('error', reject);
        }).on('error', reject);
      });
      expect(total).toBe(LARGE_CHUNK * LARGE_CHUNKS);
      expect(streams.produced).toBe(total);
      // Without backpressure the generator would run to the end before the client read a byte (a lead
      // of the whole 64 MiB); with it, the lead is bounded by the socket buffers.
      expect(streams.maxLead).toBeLessThan(total / 2);
    });

    it('logs one error and cuts the connection when the stream fails midway', async () => {
      const before = served.logger.lines.length;
      const response = await rawExchange(
        served.port,
        'GET /broken-stream/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      );
      // Whatever arrived, the chunked body never got its terminating chunk: the client sees a truncation.
      expect(response.raw.toString('latin1')).not.toMatch(/\r\n0\r\n\r\n$/);
      const lines = served.logger.lines.slice(before);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.level).toBe('error');
      expect((lines[0]!.error as Error).message).toBe('the source failed');
      expect(await (await fetch(`${served.url}/ok/`)).text()).toBe('ok');
    });
  });
});

describe('response.write()', () => {
  it("appends to the body, strings and bytes alike, as Django's file-like response does", () => {
    const response = new HttpResponse('Hello');
    response.write(', ');
    response.write(Buffer.from('world'));
    response.write('!');
    expect(response.text).toBe('Hello, world!');
  });
});

describe('deleteCookie() with SameSite=None', () => {
  it('adds Secure, or browsers would ignore the deletion (as Django does)', () => {
    const response = new HttpResponse();
    response.deleteCookie('tracking', { sameSite: 'None' });
    response.deleteCookie('plain');
    expect(response.cookies.get('tracking')).toMatch(/; Secure/i);
    expect(response.cookies.get('plain')).not.toMatch(/Secure/i);
  });
});
