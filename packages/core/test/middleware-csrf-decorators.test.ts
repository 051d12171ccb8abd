import {
  csrfExempt,
  csrfProtect,
  CsrfViewMiddleware,
  ensureCsrfCookie,
  getToken,
  HttpResponse,
  path,
  requiresCsrfToken,
  type Settings,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { createLoggedApp } from './support/serve';

const routes = [
  path(
    'protected/',
    csrfProtect((request) => new HttpResponse(request.method === 'GET' ? getToken(request) : 'accepted')),
  ),
  path(
    'cookie/',
    ensureCsrfCookie(() => new HttpResponse('page without a token')),
  ),
  path(
    'token-only/',
    requiresCsrfToken((request) => new HttpResponse(getToken(request))),
  ),
  path(
    'exempt/',
    csrfExempt(() => new HttpResponse('exempt')),
  ),
];

const stacks: Array<[string, Partial<Settings>]> = [
  ['no middleware', {}],
  ['CsrfViewMiddleware in MIDDLEWARE', { MIDDLEWARE: [CsrfViewMiddleware] }],
  ['CsrfViewMiddleware in MIDDLEWARE_CLASSES', { MIDDLEWARE_CLASSES: [CsrfViewMiddleware] }],
];

describe.each(stacks)('CSRF view decorators with %s', (_label, stack) => {
  function setup() {
    const { app, logger } = createLoggedApp({ ROOT_URLCONF: routes, ...stack });
    return { client: new Client(app), logger };
  }

  it('csrfProtect refuses a POST without a token with 403', async () => {
    const { client, logger } = setup();
    expect((await client.post('/protected/', { a: 'b' })).statusCode).toBe(403);
    expect(logger.messages()).toEqual(['Forbidden (CSRF cookie not set.): /protected/']);
  });

  it('csrfProtect accepts a POST with the token it handed out, and sets the cookie', async () => {
    const { client } = setup();
    const form = await client.get('/protected/');
    expect(form.cookies.get('csrftoken')).toBeDefined();
    expect((await client.post('/protected/', { csrfmiddlewaretoken: form.text })).text).toBe('accepted');
  });

  it('ensureCsrfCookie sets the csrftoken cookie on a page that never asked for a token', async () => {
    const { client } = setup();
    const response = await client.get('/cookie/');
    expect(response.cookies.get('csrftoken')).toMatch(/^csrftoken=[a-zA-Z0-9]{32};/);
  });

  it('requiresCsrfToken makes getToken() work in the view and refuses nothing itself', async () => {
    const { client } = setup();
    expect((await client.get('/token-only/')).text).toMatch(/^[a-zA-Z0-9]{64}$/);
  });

  it('csrfExempt views take a POST without a token', async () => {
    const { client } = setup();
    expect((await client.post('/exempt/', { a: 'b' })).statusCode).toBe(200);
  });
});
