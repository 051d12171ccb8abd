import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createApp,
  HttpResponse,
  HttpResponsePermanentRedirect,
  HttpResponseRedirect,
  JsonResponse,
  MiddlewareMixin,
  NunjucksTemplates,
  path,
  TemplateResponse,
  type Application,
  type HttpRequest,
  type Logger,
  type Settings,
} from '@manouche/core';
import { Client } from '@manouche/testing';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Echoes what the view received, as JSON. */
function echo(request: HttpRequest): JsonResponse {
  let json: unknown = null;
  if (request.contentType === 'application/json') json = request.json();
  return new JsonResponse({
    method: request.method,
    path: request.path,
    query: Object.fromEntries([...new URLSearchParams(request.queryString)]),
    post: Object.fromEntries([...new URLSearchParams(request.body?.toString('utf8') ?? '')]),
    postField: request.POST.get('name'),
    postAll: request.POST.getAll('tag'),
    contentType: request.contentType,
    json,
    body: request.body?.toString('utf8') ?? '',
    cookies: request.COOKIES,
    header: request.headers.get('x-custom'),
  });
}

/** Adds `X-Stack: seen` to every response. */
class StampMiddleware extends MiddlewareMixin {
  override processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
    response.headers.set('X-Stack', 'seen');
    return response;
  }
}

const greeting = { render: (context: Record<string, unknown>) => `Hello ${String(context.name)}` };

function makeApp(extra: Partial<Settings> = {}): Application {
  return createApp({
    LOGGER: silent,
    MIDDLEWARE: [StampMiddleware],
    ROOT_URLCONF: [
      path('echo/', echo),
      path('set-cookie/', () => {
        const response = new HttpResponse('set');
        response.setCookie('session', 'abc 123');
        response.setCookie('theme', 'dark');
        return response;
      }),
      path('delete-cookie/', () => {
        const response = new HttpResponse('deleted');
        response.deleteCookie('session');
        return response;
      }),
      path('moved/', () => new HttpResponsePermanentRedirect('/found/')),
      path('found/', () => new HttpResponseRedirect('/echo/?from=found')),
      path('see-other/', () => new HttpResponse('', { status: 303, headers: { Location: '/echo/' } })),
      path('temporary/', () => new HttpResponse('', { status: 307, headers: { Location: '/echo/' } })),
      path('loop/', () => new HttpResponseRedirect('/loop/')),
      path('away/', () => new HttpResponseRedirect('https://example.com/')),
      path('absolute/', () => new HttpResponseRedirect('http://localhost/echo/?abs=1')),
      path('greet/', (request) => new TemplateResponse(request, greeting, { name: 'Ada' })),
      path('page/', (request) => new TemplateResponse(request, 'page.html', { title: 'Posts' })),
    ],
    ...extra,
  });
}

interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  post: Record<string, string>;
  postField: string | null;
  postAll: string[];
  contentType: string;
  json: unknown;
  body: string;
  cookies: Record<string, string>;
  header: string | null;
}

describe('Client', () => {
  let client: Client;
  beforeEach(() => {
    client = new Client(makeApp());
  });

  describe('methods', () => {
    it.each(['get', 'post', 'put', 'patch', 'delete', 'options'] as const)(
      '%s sends that HTTP method to the view',
      async (method) => {
        const response = await client[method]('/echo/');
        expect(response.statusCode).toBe(200);
        expect(response.json<Echo>().method).toBe(method.toUpperCase());
      },
    );

    it('head sends HEAD and resolves to the response', async () => {
      let seen = '';
      const app = createApp({
        LOGGER: silent,
        ROOT_URLCONF: [
          path('probe/', (request) => {
            seen = request.method;
            return new HttpResponse('', { headers: { 'X-Probe': 'yes' } });
          }),
        ],
      });
      const response = await new Client(app).head('/probe/');
      expect(seen).toBe('HEAD');
      expect(response.statusCode).toBe(200);
      expect(response.headers.get('x-probe')).toBe('yes');
    });

    it('sends extra headers given in options', async () => {
      const response = await client.get('/echo/', undefined, { headers: { 'X-Custom': 'hello' } });
      expect(response.json<Echo>().header).toBe('hello');
    });

    it('answers 404 for an unknown path, in process', async () => {
      expect((await client.get('/nowhere/')).statusCode).toBe(404);
    });
  });

  describe('data', () => {
    it('turns GET data into the query string', async () => {
      const body = (await client.get('/echo/', { q: 'jazz manouche', page: 2 })).json<Echo>();
      expect(body.query).toEqual({ q: 'jazz manouche', page: '2' });
      expect(body.body).toBe('');
    });

    it('appends GET data to a query string already in the path', async () => {
      const body = (await client.get('/echo/?a=1', { b: '2' })).json<Echo>();
      expect(body.query).toEqual({ a: '1', b: '2' });
    });

    it('sends a plain object given to post as a form that fills request.POST', async () => {
      const body = (await client.post('/echo/', { name: 'Django', tag: ['a', 'b'] })).json<Echo>();
      expect(body.contentType).toBe('application/x-www-form-urlencoded');
      expect(body.postField).toBe('Django');
      expect(body.postAll).toEqual(['a', 'b']);
      expect(body.query).toEqual({});
    });

    it.each(['put', 'patch', 'delete'] as const)(
      'sends %s data in the body, not the query',
      async (method) => {
        const body = (await client[method]('/echo/', { name: 'Reinhardt' })).json<Echo>();
        expect(body.post).toEqual({ name: 'Reinhardt' });
        expect(body.query).toEqual({});
      },
    );

    it("sends JSON when contentType is 'application/json', readable with request.json()", async () => {
      const payload = { title: 'Minor swing', tags: ['gypsy', 'jazz'], n: 1 };
      const body = (await client.post('/echo/', payload, { contentType: 'application/json' })).json<Echo>();
      expect(body.contentType).toBe('application/json');
      expect(body.json).toEqual(payload);
      expect(body.postField).toBeNull();
    });

    it('sends a string body as is', async () => {
      const body = (await client.post('/echo/', 'raw text', { contentType: 'text/plain' })).json<Echo>();
      expect(body.body).toBe('raw text');
      expect(body.contentType).toBe('text/plain');
    });
  });

  describe('cookies', () => {
    it('sends cookies set by a response on the next request', async () => {
      await client.get('/set-cookie/');
      const body = (await client.get('/echo/')).json<Echo>();
      expect(body.cookies).toEqual({ session: 'abc 123', theme: 'dark' });
    });

    it('drops a cookie the response deleted', async () => {
      await client.get('/set-cookie/');
      await client.get('/delete-cookie/');
      const body = (await client.get('/echo/')).json<Echo>();
      expect(body.cookies).toEqual({ theme: 'dark' });
    });

    it('sends no cookies before any were set', async () => {
      expect((await client.get('/echo/')).json<Echo>().cookies).toEqual({});
    });
  });

  describe('follow', () => {
    it('does not follow redirects by default and leaves redirectChain empty', async () => {
      const response = await client.get('/moved/');
      expect(response.statusCode).toBe(301);
      expect(response.headers.get('location')).toBe('/found/');
      expect(response.redirectChain).toEqual([]);
    });

    it('follows 301 then 302 and records each hop as [url, status]', async () => {
      const response = await client.get('/moved/', undefined, { follow: true });
      expect(response.statusCode).toBe(200);
      expect(response.redirectChain).toEqual([
        ['/found/', 301],
        ['/echo/?from=found', 302],
      ]);
      expect(response.json<Echo>().query).toEqual({ from: 'found' });
    });

    it('follows a 302 after a POST with a GET', async () => {
      const response = await client.post('/found/', { name: 'x' }, { follow: true });
      expect(response.json<Echo>().method).toBe('GET');
      expect(response.json<Echo>().body).toBe('');
      expect(response.redirectChain).toEqual([['/echo/?from=found', 302]]);
    });

    it('follows a 303 after a POST with a GET', async () => {
      const response = await client.post('/see-other/', { name: 'x' }, { follow: true });
      expect(response.json<Echo>().method).toBe('GET');
      expect(response.redirectChain).toEqual([['/echo/', 303]]);
    });

    it('follows a 307 with the same method and body', async () => {
      const response = await client.post('/temporary/', { name: 'kept' }, { follow: true });
      const body = response.json<Echo>();
      expect(body.method).toBe('POST');
      expect(body.postField).toBe('kept');
      expect(response.redirectChain).toEqual([['/echo/', 307]]);
    });

    it('follows a 307 after a JSON PUT with the same method, content type and body', async () => {
      const response = await client.put(
        '/temporary/',
        { a: 1 },
        { contentType: 'application/json', follow: true },
      );
      const body = response.json<Echo>();
      expect(body.method).toBe('PUT');
      expect(body.json).toEqual({ a: 1 });
    });

    it('sends cookies set along a redirect chain', async () => {
      const app = createApp({
        LOGGER: silent,
        ROOT_URLCONF: [
          path('login/', () => {
            const response = new HttpResponseRedirect('/echo/');
            response.setCookie('sessionid', 's1');
            return response;
          }),
          path('echo/', echo),
        ],
      });
      const response = await new Client(app).post('/login/', { user: 'ada' }, { follow: true });
      expect(response.json<Echo>().cookies).toEqual({ sessionid: 's1' });
    });
    it('follows an absolute redirect to the test host, recording its path', async () => {
      const response = await client.get('/absolute/', undefined, { follow: true });
      expect(response.redirectChain).toEqual([['/echo/?abs=1', 302]]);
      expect(response.json<Echo>().query).toEqual({ abs: '1' });
    });

    it('rejects a redirect loop after 20 hops, naming the starting path', async () => {
      await expect(client.get('/loop/', undefined, { follow: true })).rejects.toThrow(
        'Redirect loop: more than 20 redirects from /loop/',
      );
    });

    it('rejects following a redirect to another host, which it cannot reach in process', async () => {
      await expect(client.get('/away/', undefined, { follow: true })).rejects.toThrow(
        "Can't follow a redirect to another host in process: https://example.com/",
      );
    });
  });

  describe('cookie jar', () => {
    it('sends a cookie a test put in client.cookies', async () => {
      client.cookies.set('csrftoken', 't0ken');
      expect((await client.get('/echo/')).json<Echo>().cookies).toEqual({ csrftoken: 't0ken' });
    });

    it('shows the cookies responses set, and forgets them on delete() and clear()', async () => {
      await client.get('/set-cookie/');
      expect(client.cookies.get('session')).toBe('abc 123');
      expect(client.cookies.toObject()).toEqual({ session: 'abc 123', theme: 'dark' });
      client.cookies.delete('theme');
      expect((await client.get('/echo/')).json<Echo>().cookies).toEqual({ session: 'abc 123' });
      client.cookies.clear();
      expect((await client.get('/echo/')).json<Echo>().cookies).toEqual({});
    });

    it('lets an explicit Cookie header win over the jar', async () => {
      await client.get('/set-cookie/');
      const response = await client.get('/echo/', undefined, { headers: { Cookie: 'only=this' } });
      expect(response.json<Echo>().cookies).toEqual({ only: 'this' });
    });
  });

  describe('responses', () => {
    it('parses a JSON body with response.json()', async () => {
      const response = await client.get('/echo/');
      expect(response.json<Echo>().path).toBe('/echo/');
    });

    it('exposes the template object and context of a TemplateResponse', async () => {
      const response = await client.get('/greet/');
      expect(response.statusCode).toBe(200);
      expect(response.text).toBe('Hello Ada');
      expect(response.template).toBe(greeting);
      expect(response.context).toEqual({ name: 'Ada' });
    });

    it('exposes the template name and context of a TemplateResponse rendered by Nunjucks', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'manouche-testing-'));
      try {
        writeFileSync(join(dir, 'page.html'), '<h1>{{ title }}</h1>');
        const app = makeApp({ TEMPLATES: [{ BACKEND: NunjucksTemplates, DIRS: [dir] }] });
        const response = await new Client(app).get('/page/');
        expect(response.text).toBe('<h1>Posts</h1>');
        expect(response.template).toBe('page.html');
        expect(response.context).toEqual({ title: 'Posts' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('leaves template and context undefined for a plain response', async () => {
      const response = await client.get('/echo/');
      expect(response.template).toBeUndefined();
      expect(response.context).toBeUndefined();
    });

    it('goes through the whole middleware stack', async () => {
      expect((await client.get('/echo/')).headers.get('x-stack')).toBe('seen');
      expect((await client.get('/nowhere/')).headers.get('x-stack')).toBe('seen');
    });

    it('sends the test Host, which the default ALLOWED_HOSTS accepts', async () => {
      const app = createApp({
        LOGGER: silent,
        ROOT_URLCONF: [path('host/', (request) => new HttpResponse(request.getHost()))],
      });
      expect((await new Client(app).get('/host/')).text).toBe('localhost');
    });
  });
});
