import {
  BadRequest,
  createApp,
  Http404,
  HttpResponse,
  ImproperlyConfigured,
  MiddlewareMixin,
  path,
  PermissionDenied,
  TemplateResponse,
  type HttpRequest,
  type Settings,
  type UrlConfModule,
} from '@manouche/core';
import { Client, RequestFactory } from '@manouche/testing';
import { createLoggedApp, MemoryLogger } from './support/serve';

const urlpatterns = [
  path('missing/', () => {
    throw new Http404('no such post');
  }),
  path('forbidden/', () => {
    throw new PermissionDenied('not yours');
  }),
  path('bad/', () => {
    throw new BadRequest('bad input');
  }),
  path('crash/', () => {
    throw new Error('boom');
  }),
];

/** Marks every response it sees, so a test can tell the custom error page went back out through it. */
class Stamp extends MiddlewareMixin {
  override processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
    response.headers.set('X-Stamped', 'yes');
    return response;
  }
}

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)(
  'custom error views (handlerXXX) in %s',
  (mode) => {
    function setup(urls: Partial<UrlConfModule>, extra: Partial<Settings> = {}) {
      const { app, logger } = createLoggedApp({
        ROOT_URLCONF: { urlpatterns, ...urls },
        [mode]: [Stamp],
        ...extra,
      });
      return { client: new Client(app), logger };
    }

    it('handler404 is called with the request and the exception; its answer goes out through the middleware', async () => {
      const seen: string[] = [];
      const { client } = setup({
        handler404: (request, exception) => {
          seen.push(`${request.path} ${(exception as Error).message}`);
          return new HttpResponse('<h1>Lost?</h1>', { status: 404 });
        },
      });
      const response = await client.get('/missing/');
      expect(response.statusCode).toBe(404);
      expect(response.text).toBe('<h1>Lost?</h1>');
      expect(response.headers.get('X-Stamped')).toBe('yes');
      expect(seen).toEqual(['/missing/ no such post']);
    });

    it('handler404 also answers a path no route matches', async () => {
      const { client } = setup({ handler404: () => new HttpResponse('custom 404', { status: 404 }) });
      expect((await client.get('/nowhere/')).text).toBe('custom 404');
    });

    it('handler403 answers PermissionDenied and handler400 answers BadRequest', async () => {
      const { client } = setup({
        handler403: (_request, exception) =>
          new HttpResponse(`403: ${(exception as Error).message}`, { status: 403 }),
        handler400: (_request, exception) =>
          new HttpResponse(`400: ${(exception as Error).message}`, { status: 400 }),
      });
      expect((await client.get('/forbidden/')).text).toBe('403: not yours');
      expect((await client.get('/bad/')).text).toBe('400: bad input');
    });

    it('handler400 answers a Host outside ALLOWED_HOSTS (DisallowedHost)', async () => {
      const { client } = setup({ handler400: () => new HttpResponse('custom 400', { status: 400 }) });
      const response = await client.get('/missing/', undefined, { headers: { Host: 'evil.example' } });
      expect(response.statusCode).toBe(400);
      expect(response.text).toBe('custom 400');
    });

    it('handler500 is called with the request only, after the error is logged with its trace', async () => {
      const calls: unknown[][] = [];
      const { client, logger } = setup({
        handler500: (...args: unknown[]) => {
          calls.push(args);
          return new HttpResponse('custom 500', { status: 500 });
        },
      });
      const response = await client.get('/crash/');
      expect(response.statusCode).toBe(500);
      expect(response.text).toBe('custom 500');
      expect(response.headers.get('X-Stamped')).toBe('yes');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toHaveLength(1);
      expect(logger.at('error')).toEqual(['Internal Server Error: /crash/']);
    });

    it('an async error view, and one returning a TemplateResponse (rendered before it goes out), both work', async () => {
      const { client } = setup({
        handler404: async () => new HttpResponse('async 404', { status: 404 }),
        handler403: (request) =>
          new TemplateResponse(
            request,
            { render: (context) => `hello ${String(context.who)}` },
            { who: 'there' },
            {
              status: 403,
            },
          ),
      });
      expect((await client.get('/missing/')).text).toBe('async 404');
      const forbidden = await client.get('/forbidden/');
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.text).toBe('hello there');
    });

    it('a handler404 that fails falls back to a server error: handler500 when there is one', async () => {
      const { client, logger } = setup({
        handler404: () => {
          throw new Error('broken 404 page');
        },
        handler500: () => new HttpResponse('custom 500', { status: 500 }),
      });
      const response = await client.get('/missing/');
      expect(response.statusCode).toBe(500);
      expect(response.text).toBe('custom 500');
      expect(logger.at('error')).toEqual(['Internal Server Error: /missing/']);
      expect((logger.lines.find((line) => line.level === 'error')!.error as Error).message).toBe(
        'broken 404 page',
      );
    });

    it('a handler404 that rejects, with no handler500, gives the default 500 page', async () => {
      const { client } = setup({
        handler404: () => Promise.reject(new Error('broken')),
      });
      const response = await client.get('/missing/');
      expect(response.statusCode).toBe(500);
      expect(response.text).toBe('<h1>Server Error (500)</h1>');
    });

    it('a handler500 that fails gives the default 500 page and one more error line', async () => {
      const { client, logger } = setup({
        handler500: () => {
          throw new Error('broken 500 page');
        },
      });
      const response = await client.get('/crash/');
      expect(response.statusCode).toBe(500);
      expect(response.text).toBe('<h1>Server Error (500)</h1>');
      expect(response.headers.get('X-Stamped')).toBe('yes');
      expect(logger.at('error')).toEqual([
        'Internal Server Error: /crash/',
        'The handler500 view failed: /crash/',
      ]);
    });

    it('an error view that returns nothing is a failure too (default 500 page)', async () => {
      const { client } = setup({ handler404: (() => undefined) as unknown as UrlConfModule['handler404'] });
      expect((await client.get('/missing/')).statusCode).toBe(500);
    });

    it('with DEBUG the debug pages answer, not the custom views (as in Django)', async () => {
      const { client } = setup(
        { handler404: () => new HttpResponse('custom', { status: 404 }) },
        { DEBUG: true },
      );
      const response = await client.get('/missing/');
      expect(response.statusCode).toBe(404);
      expect(response.text).toContain('Page not found (404)');
    });
  },
);

describe('handlerXXX in the URL conf module', () => {
  it('createApp refuses a handler404 that is not a function, naming it', () => {
    expect(() =>
      createApp({
        ROOT_URLCONF: { urlpatterns, handler404: 'views.notFound' } as unknown as UrlConfModule,
      }),
    ).toThrow(
      new ImproperlyConfigured(
        'The custom handler404 view of ROOT_URLCONF must be a function (request, exception) => response; got string',
      ),
    );
  });

  it('ROOT_URLCONF may be a module object without error views', async () => {
    const app = createApp({ ROOT_URLCONF: { urlpatterns: [path('ok/', () => new HttpResponse('ok'))] } });
    expect((await new Client(app).get('/ok/')).text).toBe('ok');
  });
});

describe('error views and synchronous answers', () => {
  const factory = new RequestFactory();

  // A synchronous stack: MIDDLEWARE_CLASSES with synchronous hooks, or no MIDDLEWARE layer (a MIDDLEWARE
  // layer's getResponse always answers with a promise).
  const synchronousStacks: Array<Partial<Settings>> = [{ MIDDLEWARE_CLASSES: [Stamp] }, { MIDDLEWARE: [] }];

  it.each(synchronousStacks)(
    'a 404, default or from a synchronous handler404, is answered in the same tick (%p)',
    (stack) => {
      const handler404 = () => new HttpResponse('sync 404', { status: 404 });
      for (const urls of [{ urlpatterns }, { urlpatterns, handler404 }]) {
        const app = createApp({ ROOT_URLCONF: urls, LOGGER: new MemoryLogger(), ...stack });
        expect(app.respond(factory.get('/missing/'))).toBeInstanceOf(HttpResponse);
      }
    },
  );

  it('an async handler404 makes that answer a promise of the custom page', async () => {
    const app = createApp({
      ROOT_URLCONF: { urlpatterns, handler404: async () => new HttpResponse('async 404', { status: 404 }) },
      LOGGER: new MemoryLogger(),
      MIDDLEWARE: [],
    });
    const answer = app.respond(factory.get('/missing/'));
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).text).toBe('async 404');
  });
});
