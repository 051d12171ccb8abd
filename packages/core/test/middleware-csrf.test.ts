import {
  csrfExempt,
  CsrfViewMiddleware,
  getToken,
  HttpResponse,
  path,
  SessionMiddleware,
  type Settings,
} from '@manouche/core';
import { Client, overrideSettings } from '@manouche/testing';
import { createLoggedApp } from './support/serve';

const routes = [
  path('form/', (request) => new HttpResponse(getToken(request))),
  path('submit/', () => new HttpResponse('accepted')),
  path(
    'hook/',
    csrfExempt(() => new HttpResponse('exempt')),
  ),
];

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('CsrfViewMiddleware in %s', (mode) => {
  function setup(extra: Partial<Settings> = {}) {
    const { app, logger } = createLoggedApp({ ROOT_URLCONF: routes, [mode]: [CsrfViewMiddleware], ...extra });
    return { app, logger, client: new Client(app) };
  }

  async function tokenFor(client: Client): Promise<string> {
    return (await client.get('/form/')).text;
  }

  it('getToken() sets the csrftoken cookie and gives a 64-character masked token', async () => {
    const { client } = setup();
    const response = await client.get('/form/');
    expect(response.text).toMatch(/^[a-zA-Z0-9]{64}$/);
    expect(response.cookies.get('csrftoken')).toMatch(
      /^csrftoken=[a-zA-Z0-9]{32}; Max-Age=31449600; Path=\/; Expires=[^;]+; SameSite=Lax$/,
    );
    expect(response.headers.get('vary')).toBe('Cookie');
  });

  it('masks the same secret differently on every response', async () => {
    const { client } = setup();
    const first = await tokenFor(client);
    const second = await tokenFor(client);
    expect(second).not.toBe(first);
    expect((await client.post('/submit/', { csrfmiddlewaretoken: first })).statusCode).toBe(200);
    expect((await client.post('/submit/', { csrfmiddlewaretoken: second })).statusCode).toBe(200);
  });

  it('lets GET, HEAD and OPTIONS through without a token', async () => {
    const { client } = setup();
    expect((await client.get('/submit/')).statusCode).toBe(200);
    expect((await client.head('/submit/')).statusCode).toBe(200);
    expect((await client.options('/submit/')).statusCode).toBe(200);
  });

  it('refuses a POST without the cookie with 403 and one log line', async () => {
    const { client, logger } = setup();
    const response = await client.post('/submit/', { csrfmiddlewaretoken: 'x'.repeat(64) });
    expect(response.statusCode).toBe(403);
    expect(logger.messages()).toEqual(['Forbidden (CSRF cookie not set.): /submit/']);
  });

  it('refuses a POST with the cookie but no token', async () => {
    const { client, logger } = setup();
    await tokenFor(client);
    expect((await client.post('/submit/', { title: 'x' })).statusCode).toBe(403);
    expect(logger.messages()).toEqual(['Forbidden (CSRF token missing.): /submit/']);
  });

  it('refuses a POST whose token does not match the cookie', async () => {
    const { client, logger } = setup();
    await tokenFor(client);
    const other = setup().client;
    const foreign = await tokenFor(other);
    expect((await client.post('/submit/', { csrfmiddlewaretoken: foreign })).statusCode).toBe(403);
    expect(logger.messages()).toEqual(['Forbidden (CSRF token incorrect.): /submit/']);
  });

  it('accepts the token in the X-CSRFToken header (for fetch and JSON bodies)', async () => {
    const { client } = setup();
    const token = await tokenFor(client);
    const response = await client.post(
      '/submit/',
      { a: 1 },
      { contentType: 'application/json', headers: { 'X-CSRFToken': token } },
    );
    expect(response.statusCode).toBe(200);
  });

  it('refuses a foreign Origin even with a valid token, unless CSRF_TRUSTED_ORIGINS lists it', async () => {
    const { app, client, logger } = setup();
    const token = await tokenFor(client);
    const headers = { Origin: 'https://evil.example' };
    expect((await client.post('/submit/', { csrfmiddlewaretoken: token }, { headers })).statusCode).toBe(403);
    expect(logger.messages()).toEqual([
      'Forbidden (Origin checking failed - https://evil.example does not match any trusted origins.): /submit/',
    ]);
    const trusted = await overrideSettings(app, { CSRF_TRUSTED_ORIGINS: ['https://evil.example'] }, () =>
      client.post('/submit/', { csrfmiddlewaretoken: token }, { headers }),
    );
    expect(trusted.statusCode).toBe(200);
  });

  it('accepts the same-site Origin', async () => {
    const { client } = setup();
    const token = await tokenFor(client);
    const response = await client.post(
      '/submit/',
      { csrfmiddlewaretoken: token },
      { headers: { Origin: 'http://localhost' } },
    );
    expect(response.statusCode).toBe(200);
  });

  it('skips views marked with csrfExempt()', async () => {
    const { client } = setup();
    const response = await client.post('/hook/', { any: 'thing' });
    expect(response.statusCode).toBe(200);
    expect(response.text).toBe('exempt');
  });
});

describe('getToken() without the middleware', () => {
  it('explains that CsrfViewMiddleware is needed (a 500 naming it)', async () => {
    const { app } = createLoggedApp({ ROOT_URLCONF: routes, MIDDLEWARE: [], DEBUG: true });
    const response = await new Client(app).get('/form/');
    expect(response.statusCode).toBe(500);
    expect(response.text).toContain('CsrfViewMiddleware');
  });
});

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('CSRF settings in %s', (mode) => {
  it("CSRF_FAILURE_VIEW answers a refused request, called with the request and Django's reason", async () => {
    const seen: string[] = [];
    const { app, logger } = createLoggedApp({
      ROOT_URLCONF: routes,
      [mode]: [CsrfViewMiddleware],
      CSRF_FAILURE_VIEW: (request, reason) => {
        seen.push(`${request.path} ${reason}`);
        return new HttpResponse(`custom: ${reason}`, { status: 403 });
      },
    });
    const response = await new Client(app).post('/submit/', { a: 'b' });
    expect(response.statusCode).toBe(403);
    expect(response.text).toBe('custom: CSRF cookie not set.');
    expect(seen).toEqual(['/submit/ CSRF cookie not set.']);
    expect(logger.messages()).toEqual(['Forbidden (CSRF cookie not set.): /submit/']);
  });

  it('CSRF_USE_SESSIONS keeps the secret in the session and sets no csrftoken cookie', async () => {
    const { app } = createLoggedApp({
      ROOT_URLCONF: routes,
      [mode]: [SessionMiddleware, CsrfViewMiddleware],
      SECRET_KEY: 'test-secret',
      CSRF_USE_SESSIONS: true,
    });
    const client = new Client(app);
    const form = await client.get('/form/');
    expect(form.cookies.get('csrftoken')).toBeUndefined();
    expect(form.cookies.get('sessionid')).toBeDefined();
    expect((await client.post('/submit/', { csrfmiddlewaretoken: form.text })).statusCode).toBe(200);
    const stranger = new Client(app);
    expect((await stranger.post('/submit/', { csrfmiddlewaretoken: form.text })).statusCode).toBe(403);
  });

  it('CSRF_USE_SESSIONS without SessionMiddleware is a 500 that names the fix', async () => {
    const { app } = createLoggedApp({
      ROOT_URLCONF: routes,
      [mode]: [CsrfViewMiddleware],
      CSRF_USE_SESSIONS: true,
      DEBUG: true,
    });
    const response = await new Client(app).get('/form/');
    expect(response.statusCode).toBe(500);
    expect(response.text).toContain('SessionMiddleware must come before CsrfViewMiddleware');
  });

  it('CSRF_COOKIE_DOMAIN sets the Domain of the csrftoken cookie', async () => {
    const { app } = createLoggedApp({
      ROOT_URLCONF: routes,
      [mode]: [CsrfViewMiddleware],
      CSRF_COOKIE_DOMAIN: '.localhost',
    });
    const response = await new Client(app).get('/form/');
    expect(response.cookies.get('csrftoken')).toContain('Domain=.localhost');
  });
});
