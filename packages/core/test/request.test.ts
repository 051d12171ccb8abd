import {
  ImmutableQueryDictError,
  QueryDict,
  HttpRequest,
  HttpResponse,
  InMemoryUploadedFile,
  JsonResponse,
  path,
  splitDomainPort,
  type Settings,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { httpRequest } from './support/raw-http';
import { createLoggedApp, MemoryLogger, serve, type Served } from './support/serve';

/** A view that answers with what it read from the request, as JSON. */
const views = [
  path(
    'query/',
    (request) =>
      new JsonResponse({
        a: request.GET.get('a'),
        allA: request.GET.getAll('a'),
        missing: request.GET.get('missing'),
        missingAll: request.GET.getAll('missing'),
        withFallback: request.GET.get('missing', 'fallback'),
        has: request.GET.has('flag'),
        entries: [...request.GET],
      }),
  ),
  path(
    'form/',
    (request) =>
      new JsonResponse({
        contentType: request.contentType,
        entries: [...request.POST],
        name: request.POST.get('name'),
        tags: request.POST.getAll('tag'),
        files: [...request.FILES].map(([field, files]) => ({
          field,
          files: files.map((file) => ({
            fieldName: file.fieldName,
            name: file.name,
            contentType: file.contentType,
            size: file.size,
            // A small file is held in memory, its bytes in `content`.
            content: file instanceof InMemoryUploadedFile ? file.content.toString('utf8') : null,
          })),
        })),
      }),
  ),
  path('json/', (request) => new JsonResponse({ received: request.json(), post: [...request.POST] })),
  path('cookies/', (request) => new JsonResponse(request.COOKIES)),
  path('meta/', (request) => new JsonResponse(request.META)),
  path(
    'headers/',
    (request) =>
      new JsonResponse({
        lower: request.headers.get('x-custom'),
        upper: request.headers.get('X-CUSTOM'),
        mixed: request.headers.get('X-Custom'),
        has: request.headers.has('X-cUsToM'),
        absent: request.headers.get('x-absent'),
      }),
  ),
  path('host/', (request) => new HttpResponse(request.getHost())),
  path(
    'secure/',
    (request) => new JsonResponse({ secure: request.isSecure(), uri: request.buildAbsoluteUri() }),
  ),
  path(
    '<path:rest>',
    (request, params) => new JsonResponse({ path: request.path, params, full: request.getFullPath() }),
  ),
];

/** A test client for an application serving `views`, and that application's logger. */
function clientWith(settings: Partial<Settings> = {}): { client: Client; logger: MemoryLogger } {
  const { app, logger } = createLoggedApp({ ROOT_URLCONF: views, ...settings });
  return { client: new Client(app), logger };
}

describe('HttpRequest over a real socket', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: views,
      ALLOWED_HOSTS: ['127.0.0.1', 'localhost', '.example.com', 'exact.test'],
    });
  });
  afterAll(() => served.close());

  describe('query strings', () => {
    it('gives the last value with get() and every value with getAll() for a repeated key', async () => {
      const response = await fetch(`${served.url}/query/?a=1&a=2&a=3&flag`);
      expect(await response.json()).toMatchObject({
        a: '3',
        allA: ['1', '2', '3'],
        missing: null,
        missingAll: [],
        withFallback: 'fallback',
        has: true,
      });
    });

    it('decodes +, percent escapes and UTF-8, and keeps empty values and bare keys', async () => {
      const response = await fetch(`${served.url}/query/?a=x+y&b=%2B%26%3D&c=&flag&&e=caf%C3%A9`);
      const { entries } = (await response.json()) as { entries: Array<[string, string]> };
      expect(entries).toEqual([
        ['a', 'x y'],
        ['b', '+&='],
        ['c', ''],
        ['flag', ''],
        ['e', 'café'],
      ]);
    });

    it('gives an empty QueryDict when there is no query string', async () => {
      const response = await fetch(`${served.url}/query/`);
      expect(await response.json()).toMatchObject({ a: null, allA: [], has: false, entries: [] });
    });
  });

  describe('form bodies', () => {
    it('parses an urlencoded body into POST, repeated keys included', async () => {
      const body = new URLSearchParams([
        ['name', 'Django Reinhardt'],
        ['tag', 'jazz'],
        ['tag', 'manouche'],
      ]);
      const response = await fetch(`${served.url}/form/`, { method: 'POST', body });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        contentType: 'application/x-www-form-urlencoded',
        name: 'Django Reinhardt',
        tags: ['jazz', 'manouche'],
        files: [],
      });
    });

    it('parses a multipart body into POST fields and FILES', async () => {
      const form = new FormData();
      form.append('name', 'Stéphane');
      form.append('tag', 'violin');
      form.append('tag', 'swing');
      form.append('score', new Blob(['minor swing'], { type: 'text/plain' }), 'minor-swing.txt');
      form.append(
        'score',
        new Blob([Buffer.from([0xff, 0x00])], { type: 'application/octet-stream' }),
        'b.bin',
      );
      const response = await fetch(`${served.url}/form/`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      const data = (await response.json()) as {
        contentType: string;
        name: string;
        tags: string[];
        files: Array<{ field: string; files: Array<Record<string, unknown>> }>;
      };
      expect(data.contentType).toBe('multipart/form-data');
      expect(data.name).toBe('Stéphane');
      expect(data.tags).toEqual(['violin', 'swing']);
      expect(data.files).toHaveLength(1);
      expect(data.files[0]!.field).toBe('score');
      expect(data.files[0]!.files).toEqual([
        {
          fieldName: 'score',
          name: 'minor-swing.txt',
          contentType: 'text/plain',
          size: 11,
          content: 'minor swing',
        },
        expect.objectContaining({ name: 'b.bin', contentType: 'application/octet-stream', size: 2 }),
      ]);
    });

    it('keeps POST empty for a JSON body and reads the JSON through request.json()', async () => {
      const response = await fetch(`${served.url}/json/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'Nuages', year: 1940, tags: ['ballad'] }),
      });
      expect(await response.json()).toEqual({
        received: { title: 'Nuages', year: 1940, tags: ['ballad'] },
        post: [],
      });
    });
  });

  it('parses the Cookie header into COOKIES', async () => {
    const response = await fetch(`${served.url}/cookies/`, {
      headers: { Cookie: 'sessionid=abc123; theme=dark; greeting=hello%20world' },
    });
    expect(await response.json()).toEqual({ sessionid: 'abc123', theme: 'dark', greeting: 'hello world' });
  });

  it('gives no cookies when none were sent', async () => {
    expect(await (await fetch(`${served.url}/cookies/`)).json()).toEqual({});
  });

  it('looks headers up case-insensitively', async () => {
    const response = await fetch(`${served.url}/headers/`, { headers: { 'X-Custom': 'yes' } });
    expect(await response.json()).toEqual({
      lower: 'yes',
      upper: 'yes',
      mixed: 'yes',
      has: true,
      absent: null,
    });
  });

  it('fills META with Django keys: REQUEST_METHOD, PATH_INFO, QUERY_STRING, CONTENT_TYPE, HTTP_*...', async () => {
    const response = await fetch(`${served.url}/meta/?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'X-Request-Id': 'r-1', 'User-Agent': 'jest' },
      body: 'hello',
    });
    const meta = (await response.json()) as Record<string, string>;
    expect(meta).toMatchObject({
      REQUEST_METHOD: 'POST',
      PATH_INFO: '/meta/',
      QUERY_STRING: 'x=1',
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '5',
      HTTP_X_REQUEST_ID: 'r-1',
      HTTP_USER_AGENT: 'jest',
      HTTP_HOST: `127.0.0.1:${served.port}`,
      REMOTE_ADDR: '127.0.0.1',
      SERVER_PORT: String(served.port),
      SERVER_NAME: '127.0.0.1',
    });
    // As in Django, the body headers are not duplicated under HTTP_.
    expect(meta).not.toHaveProperty('HTTP_CONTENT_TYPE');
    expect(meta).not.toHaveProperty('HTTP_CONTENT_LENGTH');
  });

  it('percent-decodes the path the view and the resolver see', async () => {
    const response = await fetch(`${served.url}/caf%C3%A9/a%20b/?q=%C3%A9`);
    expect(await response.json()).toEqual({
      path: '/café/a b/',
      params: { rest: 'café/a b/' },
      full: '/café/a b/?q=%C3%A9',
    });
  });

  describe('getHost() and ALLOWED_HOSTS', () => {
    it.each([
      ['127.0.0.1', '127.0.0.1'],
      ['exact.test', 'exact.test'],
      ['EXACT.TEST', 'EXACT.TEST'],
      ['exact.test.', 'exact.test.'],
      ['example.com', 'example.com'],
      ['www.example.com', 'www.example.com'],
      ['deep.api.example.com:8080', 'deep.api.example.com:8080'],
    ])('accepts Host %s and getHost() gives it back', async (host, expected) => {
      const response = await httpRequest(`${served.url}/host/`, { headers: { Host: host } });
      expect(response.status).toBe(200);
      expect(response.text).toBe(expected);
    });

    it.each([
      'evil.com',
      'notexample.com',
      'exact.test.evil.com',
      'example.com.evil',
      '[::1]',
      'bad host',
      'a/b',
    ])('answers Host %s with 400 and one log line naming the header', async (host) => {
      const before = served.logger.lines.length;
      const response = await httpRequest(`${served.url}/host/`, { headers: { Host: host } });
      expect(response.status).toBe(400);
      const lines = served.logger.lines.slice(before);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.level).toBe('warn');
      expect(lines[0]!.message).toContain('Invalid HTTP_HOST header');
      // The server keeps serving.
      expect((await fetch(`${served.url}/host/`)).status).toBe(200);
    });
  });
});

describe('HttpRequest in process', () => {
  it('defaults to GET / with empty query, POST, FILES, body and cookies', () => {
    const request = new HttpRequest();
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/');
    expect(request.GET.size).toBe(0);
    expect(request.POST.size).toBe(0);
    expect(request.FILES.size).toBe(0);
    expect(request.body.length).toBe(0);
    expect(request.COOKIES).toEqual({});
    expect(request.websocket).toBeNull();
    expect(request.isWebsocket()).toBe(false);
  });

  it('keeps the last value of a cookie name sent twice, as Django does', () => {
    const request = new HttpRequest({ headers: { Cookie: 'a=b; h=i; a=c' } });
    expect(request.COOKIES.a).toBe('c');
    expect(request.COOKIES.h).toBe('i');
  });

  it("gives each request COOKIES of its own: a change to one request's is not seen by the next with the same header", () => {
    const header = 'sessionid=abc%3Adef; csrftoken=xyz';
    const first = new HttpRequest({ headers: { Cookie: header } });
    expect(first.COOKIES).toEqual({ sessionid: 'abc:def', csrftoken: 'xyz' });
    first.COOKIES.sessionid = 'changed';
    delete first.COOKIES.csrftoken;
    const second = new HttpRequest({ headers: { Cookie: header } });
    expect(second.COOKIES).toEqual({ sessionid: 'abc:def', csrftoken: 'xyz' });
    expect(Object.getPrototypeOf(second.COOKIES)).toBeNull();
  });

  it('upper-cases the method and looks up hand-built headers case-insensitively', () => {
    const request = new HttpRequest({ method: 'post', headers: { 'X-Thing': 'a', 'X-Multi': ['1', '2'] } });
    expect(request.method).toBe('POST');
    expect(request.headers.get('x-thing')).toBe('a');
    expect(request.headers.get('X-THING')).toBe('a');
    expect(request.headers.get('x-multi')).toBe('1, 2');
    expect(request.META.HTTP_X_THING).toBe('a');
  });

  it('treats a GET with Upgrade: websocket as a WebSocket request', () => {
    expect(new HttpRequest({ headers: { Upgrade: 'WebSocket' } }).isWebsocket()).toBe(true);
  });

  describe('isWebsocket(): the request asks for a WebSocket', () => {
    const asks = (headers: Record<string, string>, method = 'GET'): boolean =>
      new HttpRequest({ method, headers }).isWebsocket();

    it.each(['websocket', 'h2c, websocket', 'websocket, h2c', 'foo,websocket', ' websocket '])(
      'is true when the Upgrade tokens include websocket (%j)',
      (upgrade) => {
        expect(asks({ Upgrade: upgrade })).toBe(true);
      },
    );

    it.each(['WebSocket', 'WEBSOCKET', 'h2c, WebSocket'])('ignores the case of the token (%j)', (upgrade) => {
      expect(asks({ Upgrade: upgrade })).toBe(true);
    });

    it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'])(
      'is true whatever the method (%s), so the package can refuse it',
      (method) => {
        expect(asks({ Upgrade: 'websocket' }, method)).toBe(true);
      },
    );

    it('is false without an Upgrade header, even with the other handshake headers', () => {
      expect(
        asks({
          Connection: 'Upgrade',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '13',
        }),
      ).toBe(false);
    });

    it.each(['h2c', 'websockets', 'x-websocket', 'web socket', ''])(
      'is false when no token is exactly websocket (Upgrade: %j)',
      (upgrade) => {
        expect(asks({ Upgrade: upgrade })).toBe(false);
      },
    );
  });

  it('ignores the charset parameter when deciding a body is a form', async () => {
    const { client } = clientWith();
    const response = await client.post('/form/', 'name=x&tag=1&tag=2', {
      contentType: 'Application/X-WWW-Form-Urlencoded; charset=utf-8',
    });
    expect(response.json()).toMatchObject({ name: 'x', tags: ['1', '2'] });
  });

  it('keeps POST empty for a content type that is not a form', async () => {
    const { client } = clientWith();
    const response = await client.post('/form/', 'name=x', { contentType: 'text/plain' });
    expect(response.json()).toMatchObject({ entries: [], name: null });
  });

  describe('isSecure()', () => {
    it('is true for an https request and false for http', async () => {
      const { client } = clientWith();
      expect((await client.get('/secure/', undefined, { secure: true })).json()).toEqual({
        secure: true,
        uri: 'https://localhost/secure/',
      });
      expect((await client.get('/secure/')).json()).toMatchObject({ secure: false });
    });

    it('ignores X-Forwarded-Proto unless SECURE_PROXY_SSL_HEADER is set', async () => {
      const { client } = clientWith();
      const response = await client.get('/secure/', undefined, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(response.json()).toMatchObject({ secure: false });
    });

    it.each([
      ['the Django META name', 'HTTP_X_FORWARDED_PROTO'],
      ['the header name', 'X-Forwarded-Proto'],
    ])('trusts SECURE_PROXY_SSL_HEADER written with %s', async (_label, header) => {
      const { client } = clientWith({ SECURE_PROXY_SSL_HEADER: [header, 'https'] });
      const proto = (value: string) => ({ headers: { 'X-Forwarded-Proto': value } });
      const secure = await client.get('/secure/', undefined, proto('https'));
      expect(secure.json()).toEqual({ secure: true, uri: 'https://localhost/secure/' });
      expect((await client.get('/secure/', undefined, proto('http'))).json()).toMatchObject({
        secure: false,
      });
      expect((await client.get('/secure/')).json()).toMatchObject({ secure: false });
    });

    it('reads the first value of a proxy header that several proxies appended to, as Django does', async () => {
      const { client } = clientWith({ SECURE_PROXY_SSL_HEADER: ['HTTP_X_FORWARDED_PROTO', 'https'] });
      const response = await client.get('/secure/', undefined, {
        headers: { 'X-Forwarded-Proto': 'https, http' },
      });
      expect(response.json()).toMatchObject({ secure: true });
    });

    it('lets the proxy header alone decide when present, even over TLS, as Django does', async () => {
      const { client } = clientWith({ SECURE_PROXY_SSL_HEADER: ['HTTP_X_FORWARDED_PROTO', 'https'] });
      const overTls = (proto?: string) =>
        client.get('/secure/', undefined, {
          secure: true,
          headers: proto === undefined ? {} : { 'X-Forwarded-Proto': proto },
        });
      expect((await overTls('http')).json()).toEqual({ secure: false, uri: 'http://localhost/secure/' });
      expect((await overTls()).json()).toMatchObject({ secure: true });
    });
  });

  describe('scheme', () => {
    it('is the scheme the client used: the proxy header when present, else the connection', () => {
      const { app } = createLoggedApp({
        ROOT_URLCONF: [],
        SECURE_PROXY_SSL_HEADER: ['X-Forwarded-Proto', 'https'],
      });
      const behindProxy = new HttpRequest({ headers: { 'X-Forwarded-Proto': 'https' } });
      behindProxy.app = app;
      expect(behindProxy.scheme).toBe('https');
      expect(behindProxy.META['wsgi.url_scheme']).toBe('http');
      const direct = new HttpRequest({ scheme: 'https' });
      direct.app = app;
      expect(direct.scheme).toBe('https');
    });
  });

  describe('getPort()', () => {
    it('is the server port, or X-Forwarded-Port with USE_X_FORWARDED_PORT', () => {
      const { app } = createLoggedApp({ ROOT_URLCONF: [] });
      const { app: proxied } = createLoggedApp({ ROOT_URLCONF: [], USE_X_FORWARDED_PORT: true });
      const request = (bound: typeof app) => {
        const built = new HttpRequest({ serverPort: 8000, headers: { 'X-Forwarded-Port': '443' } });
        built.app = bound;
        return built;
      };
      expect(request(app).getPort()).toBe('8000');
      expect(request(proxied).getPort()).toBe('443');
    });

    it('leaves the default port of the scheme out of a host rebuilt without a Host header', () => {
      expect(new HttpRequest({ scheme: 'https', serverPort: 443 }).rawHost()).toBe('localhost');
      expect(new HttpRequest({ scheme: 'https', serverPort: 80 }).rawHost()).toBe('localhost:80');
      expect(new HttpRequest({ serverPort: 8000 }).rawHost()).toBe('localhost:8000');
    });
  });

  describe('accepts() and getPreferredType()', () => {
    const withAccept = (accept?: string) =>
      new HttpRequest({ headers: accept === undefined ? {} : { Accept: accept } });

    it('accepts what a range covers, wildcards included, and nothing with q=0', () => {
      const request = withAccept('text/html, application/*;q=0.5, image/png;q=0');
      expect(request.accepts('text/html')).toBe(true);
      expect(request.accepts('application/json')).toBe(true);
      expect(request.accepts('image/png')).toBe(false);
      expect(request.accepts('text/plain')).toBe(false);
    });

    it('accepts everything when there is no Accept header', () => {
      expect(withAccept().accepts('application/octet-stream')).toBe(true);
    });

    it("lets the most specific range decide a type's quality", () => {
      const request = withAccept('text/*;q=0.9, text/plain;q=0, */*;q=0.1');
      expect(request.accepts('text/plain')).toBe(false);
      expect(request.accepts('text/csv')).toBe(true);
    });

    it('prefers by quality, then by the order the server gave', () => {
      const request = withAccept('application/json;q=0.8, text/html');
      expect(request.getPreferredType(['application/json', 'text/html'])).toBe('text/html');
      expect(withAccept('*/*').getPreferredType(['application/json', 'text/html'])).toBe('application/json');
      expect(withAccept('image/png').getPreferredType(['text/html'])).toBeNull();
    });

    it('lists the ranges most preferred first, skipping malformed ones', () => {
      const types = withAccept('*/*;q=0.1, text/*, nonsense, text/html;level=1, text/html').acceptedTypes;
      expect(types.map((range) => `${range.type}/${range.subtype}`)).toEqual([
        'text/html',
        'text/html',
        'text/*',
        '*/*',
      ]);
      expect(types[0]!.params).toEqual({ level: '1' });
    });
  });

  describe('getHost()', () => {
    const withHost = (host: string) => ({ headers: { host } });

    it("accepts any well-formed host with ALLOWED_HOSTS = ['*']", async () => {
      const { client } = clientWith({ ALLOWED_HOSTS: ['*'] });
      for (const host of ['anything.example', 'evil.com:1234', '10.0.0.1', '[2001:db8::1]:8080']) {
        const response = await client.get('/host/', undefined, withHost(host));
        expect([host, response.statusCode, response.text]).toEqual([host, 200, host]);
      }
    });

    it('reads ALLOWED_HOSTS on every request, even when the list is changed in place', async () => {
      const { app } = createLoggedApp({ ROOT_URLCONF: views, ALLOWED_HOSTS: ['localhost'] });
      const client = new Client(app);
      expect((await client.get('/host/', undefined, withHost('late.example'))).statusCode).toBe(400);
      app.settings.ALLOWED_HOSTS.push('late.example');
      expect((await client.get('/host/', undefined, withHost('late.example'))).statusCode).toBe(200);
    });

    it("refuses a malformed Host even with ALLOWED_HOSTS = ['*']", async () => {
      const { client, logger } = clientWith({ ALLOWED_HOSTS: ['*'] });
      const response = await client.get('/host/', undefined, withHost('evil.com/../x'));
      expect(response.statusCode).toBe(400);
      expect(logger.lines).toHaveLength(1);
    });

    it('uses X-Forwarded-Host only with USE_X_FORWARDED_HOST, and checks it', async () => {
      const options = { headers: { host: 'localhost', 'x-forwarded-host': 'shop.example.com' } };
      const off = clientWith({ ALLOWED_HOSTS: ['localhost', '.example.com'] }).client;
      expect((await off.get('/host/', undefined, options)).text).toBe('localhost');
      const on = clientWith({
        ALLOWED_HOSTS: ['localhost', '.example.com'],
        USE_X_FORWARDED_HOST: true,
      }).client;
      expect((await on.get('/host/', undefined, options)).text).toBe('shop.example.com');
      const refused = clientWith({ ALLOWED_HOSTS: ['localhost'], USE_X_FORWARDED_HOST: true }).client;
      expect((await refused.get('/host/', undefined, options)).statusCode).toBe(400);
    });

    it('splits Host the same way however many distinct hosts came before (remembered splits are bounded)', () => {
      expect(splitDomainPort('Example.COM.:8080')).toEqual(['example.com', '8080']);
      for (let index = 0; index < 3000; index++) splitDomainPort(`host-${index}.example:${index}`);
      expect(splitDomainPort('Example.COM.:8080')).toEqual(['example.com', '8080']);
      expect(splitDomainPort('[::1]:8000')).toEqual(['[::1]', '8000']);
      expect(splitDomainPort('bad host')).toEqual(['', '']);
      const long = `${'a'.repeat(5000)}.example`;
      expect(splitDomainPort(long)).toEqual([long, '']);
      expect(splitDomainPort(`${long}/x`)).toEqual(['', '']);
    });

    it('refuses a disallowed host before any view runs, with a 400 in process too', async () => {
      const { client, logger } = clientWith({ ALLOWED_HOSTS: ['example.com'] });
      const response = await client.get('/host/', undefined, withHost('evil.com'));
      expect(response.statusCode).toBe(400);
      expect(logger.messages()).toEqual([expect.stringContaining('Invalid HTTP_HOST header: "evil.com"')]);
    });
  });
});

describe('QueryDict', () => {
  it('is immutable as request.GET and request.POST, as in Django', () => {
    const request = new HttpRequest({
      queryString: 'a=1&a=2',
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'b=3',
    });
    expect(() => request.GET.set('a', 'x')).toThrow(ImmutableQueryDictError);
    expect(() => request.GET.append('a', 'x')).toThrow(/immutable/);
    expect(() => request.POST.delete('b')).toThrow(ImmutableQueryDictError);
    expect(request.GET.getAll('a')).toEqual(['1', '2']);
  });

  it('copy() is mutable and independent of the original', () => {
    const original = QueryDict.parse('a=1&a=2&b=3');
    const copy = original.copy();
    copy.append('a', '4');
    copy.setList('b', ['5', '6']);
    expect(copy.mutable).toBe(true);
    expect(copy.getAll('a')).toEqual(['1', '2', '4']);
    expect(original.getAll('a')).toEqual(['1', '2']);
    expect(original.getAll('b')).toEqual(['3']);
  });

  it('lists(), dict() and urlencode() give every value, the last values and the query string', () => {
    const dict = new QueryDict(
      [
        ['a', '1'],
        ['a', '2'],
        ['q', 'x y'],
      ],
      { mutable: true },
    );
    expect(dict.lists()).toEqual([
      ['a', ['1', '2']],
      ['q', ['x y']],
    ]);
    expect(dict.dict()).toEqual({ a: '2', q: 'x y' });
    expect(dict.urlencode()).toBe('a=1&a=2&q=x+y');
  });
});
