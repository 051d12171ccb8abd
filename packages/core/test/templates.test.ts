import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HttpRequest,
  HttpResponse,
  NunjucksTemplates,
  path,
  TemplateDoesNotExist,
  TemplateResponse,
  type Application,
  type MiddlewareClass,
  type Settings,
  type Template,
  type TemplateContext,
} from '@manouche/core';
import { Client, RequestFactory } from '@manouche/testing';
import { createLoggedApp, MemoryLogger, serve, type Served } from './support/serve';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'manouche-templates-'));
  mkdirSync(join(dir, 'blog'));
  writeFileSync(
    join(dir, 'base.html'),
    '<title>{% block title %}Site{% endblock %}</title>{% block body %}{% endblock %}',
  );
  writeFileSync(
    join(dir, 'blog', 'post.html'),
    '{% extends "base.html" %}{% block title %}{{ post.title }}{% endblock %}' +
      '{% block body %}<p>{{ post.body }}</p><i>{{ request.path }}</i>{% endblock %}',
  );
  writeFileSync(join(dir, 'hello.txt'), 'Hello, {{ name }}!');
  writeFileSync(join(dir, 'broken.html'), '{% if %}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An app with Nunjucks templates from `dir` (unless `settings` replaces them), its client and logger. */
function app(settings: Partial<Settings>): { app: Application; client: Client; logger: MemoryLogger } {
  const created = createLoggedApp({
    ROOT_URLCONF: [],
    TEMPLATES: [{ BACKEND: NunjucksTemplates, DIRS: [dir] }],
    ...settings,
  });
  return { ...created, client: new Client(created.app) };
}

/** An object template that counts how often it rendered. */
class CountingTemplate implements Template {
  renders = 0;
  render(context: TemplateContext, request: HttpRequest | null): string {
    this.renders++;
    return `${String(context.greeting)} from ${request?.path ?? 'nowhere'}`;
  }
}

describe('TemplateResponse with the Nunjucks backend over a real socket', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      TEMPLATES: [{ BACKEND: NunjucksTemplates, DIRS: [dir] }],
      ROOT_URLCONF: [
        path(
          'posts/<int:id>/',
          (request, params) =>
            new TemplateResponse(request, 'blog/post.html', {
              post: { title: `Post ${String(params.id)}`, body: '<script>alert(1)</script>' },
            }),
        ),
        path('missing/', (request) => new TemplateResponse(request, 'nope.html')),
        path('broken/', (request) => new TemplateResponse(request, 'broken.html')),
        path('ok/', () => new HttpResponse('ok')),
      ],
    });
  });
  afterAll(() => served.close());

  it('renders a named template with inheritance, the context and the request, autoescaped', async () => {
    const response = await fetch(`${served.url}/posts/7/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe(
      '<title>Post 7</title><p>&lt;script&gt;alert(1)&lt;/script&gt;</p><i>/posts/7/</i>',
    );
  });

  it('answers a missing template with 500 and one error log line, then keeps serving', async () => {
    const before = served.logger.lines.length;
    const response = await fetch(`${served.url}/missing/`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('nope.html');
    const lines = served.logger.lines.slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', message: 'Internal Server Error: /missing/' });
    expect(lines[0]!.error).toBeInstanceOf(TemplateDoesNotExist);
    expect((await fetch(`${served.url}/ok/`)).status).toBe(200);
  });

  it('answers a template with a syntax error with 500 and one error log line', async () => {
    const before = served.logger.lines.length;
    expect((await fetch(`${served.url}/broken/`)).status).toBe(500);
    expect(served.logger.lines.slice(before).map((line) => line.level)).toEqual(['error']);
  });
});

describe('TemplateResponse in process', () => {
  it('renders an object template with the context and the request', async () => {
    const template = new CountingTemplate();
    const { client } = app({
      ROOT_URLCONF: [
        path('greet/', (request) => new TemplateResponse(request, template, { greeting: 'Bonjour' })),
      ],
    });
    const response = await client.get('/greet/');
    expect(response.statusCode).toBe(200);
    expect(response.template).toBe(template);
    expect(response.context).toEqual({ greeting: 'Bonjour' });
    expect(response.text).toBe('Bonjour from /greet/');
    expect(template.renders).toBe(1);
  });

  it('awaits an object template whose render returns a Promise', async () => {
    const template: Template = { render: async (context) => `async ${String(context.n)}` };
    const { client } = app({
      ROOT_URLCONF: [
        path('', (request) => new TemplateResponse(request, template, { n: 1 }, { status: 201 })),
      ],
    });
    const response = await client.get('/');
    expect([response.statusCode, response.text]).toEqual([201, 'async 1']);
  });

  it('is not rendered, and has no content, until render()', async () => {
    const request = new RequestFactory(app({}).app).get('/');
    const response = new TemplateResponse(request, 'hello.txt', { name: 'Django' });
    expect(response.isRendered).toBe(false);
    expect(() => response.content).toThrow(/rendered/);
    await expect(response.render()).resolves.toBe(response);
    expect(response.isRendered).toBe(true);
    expect(response.text).toBe('Hello, Django!');
  });

  it('render() is idempotent: a second call changes nothing and does not render again', async () => {
    const template = new CountingTemplate();
    const response = new TemplateResponse(new HttpRequest(), template, { greeting: 'Hi' });
    await response.render();
    response.context = { greeting: 'Changed' };
    await response.render();
    expect(template.renders).toBe(1);
    expect(response.text).toBe('Hi from /');
  });

  it('renders once when render() is called again before the first call finished', async () => {
    const template = new CountingTemplate();
    const response = new TemplateResponse(new HttpRequest(), template, { greeting: 'Hi' });
    const callbacks: string[] = [];
    response.addPostRenderCallback(() => callbacks.push('after'));
    await Promise.all([response.render(), response.render()]);
    expect(template.renders).toBe(1);
    expect(callbacks).toEqual(['after']);
  });

  it('uses the template and context as they are when it renders, so both may be replaced before', async () => {
    const request = new RequestFactory(app({}).app).get('/');
    const response = new TemplateResponse(request, 'blog/post.html', { post: { title: 'x' } });
    response.template = 'hello.txt';
    response.context = { name: 'Stéphane' };
    await response.render();
    expect(response.text).toBe('Hello, Stéphane!');
  });

  it('runs post-render callbacks after rendering, in order, with the response', async () => {
    const order: string[] = [];
    const response = new TemplateResponse(new HttpRequest(), { render: () => 'body' });
    response.addPostRenderCallback((rendered) => order.push(`first:${rendered.text}`));
    response.addPostRenderCallback(async (rendered) => {
      await Promise.resolve();
      order.push(`second:${String(rendered.isRendered)}`);
    });
    expect(order).toEqual([]);
    await response.render();
    expect(order).toEqual(['first:body', 'second:true']);
    await response.render();
    expect(order).toHaveLength(2);
  });

  it('runs a post-render callback added after rendering at once', async () => {
    const response = new TemplateResponse(new HttpRequest(), { render: () => 'body' });
    await response.render();
    const seen: string[] = [];
    response.addPostRenderCallback((rendered) => seen.push(rendered.text));
    expect(seen).toEqual(['body']);
  });

  it('counts as rendered once its content is set directly', () => {
    const response = new TemplateResponse(new HttpRequest(), { render: () => 'never' });
    response.content = 'set by hand';
    expect(response.isRendered).toBe(true);
    expect(response.text).toBe('set by hand');
  });

  it('lets processTemplateResponse replace the template and context before the handler renders', async () => {
    const Retemplate: MiddlewareClass = class {
      constructor(private readonly getResponse: (request: HttpRequest) => Promise<HttpResponse>) {}
      call(request: HttpRequest): Promise<HttpResponse> {
        return this.getResponse(request);
      }
      processTemplateResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
        const templated = response as TemplateResponse;
        templated.template = 'hello.txt';
        templated.context = { ...templated.context, name: 'middleware' };
        return templated;
      }
    };
    const { client } = app({
      MIDDLEWARE: [Retemplate],
      ROOT_URLCONF: [path('', (request) => new TemplateResponse(request, 'blog/post.html', { post: {} }))],
    });
    expect((await client.get('/')).text).toBe('Hello, middleware!');
  });

  it('answers a missing template with 500 and one log line in process too', async () => {
    const { client, logger } = app({
      ROOT_URLCONF: [path('', (request) => new TemplateResponse(request, 'does/not/exist.html'))],
    });
    const response = await client.get('/');
    expect(response.statusCode).toBe(500);
    expect(logger.lines).toHaveLength(1);
    expect(String(logger.lines[0]!.error)).toContain('does/not/exist.html');
  });

  it('finds no template by name when no TEMPLATES are configured (500)', async () => {
    const { app: application, logger } = createLoggedApp({
      ROOT_URLCONF: [path('', (request) => new TemplateResponse(request, 'hello.txt'))],
    });
    expect((await new Client(application).get('/')).statusCode).toBe(500);
    expect(String(logger.lines[0]!.error)).toContain('no TEMPLATES are configured');
  });

  it('tries the engines in order, as Django does', async () => {
    const other = mkdtempSync(join(tmpdir(), 'manouche-templates-other-'));
    try {
      writeFileSync(join(other, 'hello.txt'), 'Other {{ name }}');
      writeFileSync(join(other, 'only-here.txt'), 'Only here');
      const { client } = app({
        TEMPLATES: [
          { BACKEND: NunjucksTemplates, DIRS: [dir] },
          { BACKEND: NunjucksTemplates, DIRS: [other] },
        ],
        ROOT_URLCONF: [
          path('first/', (request) => new TemplateResponse(request, 'hello.txt', { name: 'x' })),
          path('second/', (request) => new TemplateResponse(request, 'only-here.txt')),
        ],
      });
      expect((await client.get('/first/')).text).toBe('Hello, x!');
      expect((await client.get('/second/')).text).toBe('Only here');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('registers OPTIONS filters and globals on the Nunjucks environment', async () => {
    writeFileSync(join(dir, 'options.txt'), '{{ name | shout }} {{ site }}');
    const { client } = app({
      TEMPLATES: [
        {
          BACKEND: NunjucksTemplates,
          DIRS: [dir],
          OPTIONS: {
            filters: { shout: (text: string) => `${text.toUpperCase()}!` },
            globals: { site: 'Blog' },
          },
        },
      ],
      ROOT_URLCONF: [path('', (request) => new TemplateResponse(request, 'options.txt', { name: 'hi' }))],
    });
    expect((await client.get('/')).text).toBe('HI! Blog');
  });
});

describe('a TemplateResponse returned before the view layer', () => {
  const template: Template = { render: (context) => `maintenance: ${String(context.reason)}` };

  class MaintenanceMiddleware {
    processRequest(request: HttpRequest): TemplateResponse {
      return new TemplateResponse(request, template, { reason: 'upgrading' }, { status: 503 });
    }
  }

  it.each(['MIDDLEWARE_CLASSES', 'MIDDLEWARE'] as const)(
    'is rendered before it is written (%s)',
    async (mode) => {
      const onion = class extends MaintenanceMiddleware {
        constructor(readonly getResponse: unknown) {
          super();
        }
        call(request: HttpRequest): TemplateResponse {
          return this.processRequest(request);
        }
      };
      const settings: Settings =
        mode === 'MIDDLEWARE'
          ? { ROOT_URLCONF: [], MIDDLEWARE: [onion as unknown as MiddlewareClass] }
          : { ROOT_URLCONF: [], MIDDLEWARE_CLASSES: [MaintenanceMiddleware] };
      const served = await serve(settings);
      try {
        const response = await fetch(`${served.url}/`);
        expect(response.status).toBe(503);
        expect(await response.text()).toBe('maintenance: upgrading');
      } finally {
        await served.close();
      }
    },
  );
});
