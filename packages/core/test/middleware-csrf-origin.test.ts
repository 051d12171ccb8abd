import {
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
];

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)(
  'CsrfViewMiddleware origin checks in %s',
  (mode) => {
    function setup(extra: Partial<Settings> = {}) {
      const { app, logger } = createLoggedApp({
        ROOT_URLCONF: routes,
        [mode]: [CsrfViewMiddleware],
        ...extra,
      });
      return { app, logger, client: new Client(app) };
    }

    /** A POST over HTTPS carrying a good token, with `headers` (Referer, Origin) as given. */
    async function securePost(extra: Partial<Settings>, headers: Record<string, string>) {
      const { app, client, logger } = setup(extra);
      const token = (await client.get('/form/', undefined, { secure: true })).text;
      const response = await client.post(
        '/submit/',
        { csrfmiddlewaretoken: token },
        { secure: true, headers },
      );
      return { app, client, logger, token, response };
    }

    describe('Referer check on HTTPS without Origin', () => {
      it('refuses a request with no Referer: "Referer checking failed - no Referer."', async () => {
        const { response, logger } = await securePost({}, {});
        expect(response.statusCode).toBe(403);
        expect(logger.messages()).toEqual(['Forbidden (Referer checking failed - no Referer.): /submit/']);
      });

      it('refuses a malformed Referer', async () => {
        const { response, logger } = await securePost({}, { Referer: 'not a url' });
        expect(response.statusCode).toBe(403);
        expect(logger.messages()).toEqual([
          'Forbidden (Referer checking failed - Referer is malformed.): /submit/',
        ]);
      });

      it('refuses an http Referer while the host is secure', async () => {
        const { response, logger } = await securePost({}, { Referer: 'http://localhost/form/' });
        expect(response.statusCode).toBe(403);
        expect(logger.messages()).toEqual([
          'Forbidden (Referer checking failed - Referer is insecure while host is secure.): /submit/',
        ]);
      });

      it('refuses a foreign Referer, naming it', async () => {
        const { response, logger } = await securePost({}, { Referer: 'https://evil.example/x' });
        expect(response.statusCode).toBe(403);
        expect(logger.messages()).toEqual([
          'Forbidden (Referer checking failed - https://evil.example/x does not match any trusted origins.): /submit/',
        ]);
      });

      it('accepts a Referer on this host', async () => {
        const { response } = await securePost({}, { Referer: 'https://localhost/form/' });
        expect(response.statusCode).toBe(200);
      });

      it('accepts a Referer whose host is in CSRF_TRUSTED_ORIGINS', async () => {
        const { response } = await securePost(
          { CSRF_TRUSTED_ORIGINS: ['https://shop.example'] },
          { Referer: 'https://shop.example/cart/' },
        );
        expect(response.statusCode).toBe(200);
      });

      it('accepts a Referer on a subdomain of a wildcard CSRF_TRUSTED_ORIGINS entry, and on the domain itself', async () => {
        const trusted = { CSRF_TRUSTED_ORIGINS: ['https://*.example.org'] };
        expect((await securePost(trusted, { Referer: 'https://a.b.example.org/' })).response.statusCode).toBe(
          200,
        );
        expect((await securePost(trusted, { Referer: 'https://example.org/' })).response.statusCode).toBe(
          200,
        );
        expect((await securePost(trusted, { Referer: 'https://badexample.org/' })).response.statusCode).toBe(
          403,
        );
      });

      it('matches the Referer against CSRF_COOKIE_DOMAIN when it is set', async () => {
        const domain = { CSRF_COOKIE_DOMAIN: '.example.com', ALLOWED_HOSTS: ['localhost', '.example.com'] };
        expect((await securePost(domain, { Referer: 'https://www.example.com/' })).response.statusCode).toBe(
          200,
        );
        expect((await securePost(domain, { Referer: 'https://localhost/' })).response.statusCode).toBe(403);
      });

      it('with CSRF_USE_SESSIONS, matches the Referer against SESSION_COOKIE_DOMAIN instead', async () => {
        const { app } = createLoggedApp({
          ROOT_URLCONF: routes,
          [mode]: [SessionMiddleware, CsrfViewMiddleware],
          SECRET_KEY: 'test-secret',
          CSRF_USE_SESSIONS: true,
          CSRF_COOKIE_DOMAIN: '.ignored.example',
          SESSION_COOKIE_DOMAIN: '.example.com',
        });
        const client = new Client(app);
        const token = (await client.get('/form/', undefined, { secure: true })).text;
        const post = (referer: string) =>
          client.post(
            '/submit/',
            { csrfmiddlewaretoken: token },
            { secure: true, headers: { Referer: referer } },
          );
        expect((await post('https://shop.example.com/')).statusCode).toBe(200);
        expect((await post('https://www.ignored.example/')).statusCode).toBe(403);
      });

      it('checks no Referer on plain HTTP', async () => {
        const { client } = setup();
        const token = (await client.get('/form/')).text;
        expect((await client.post('/submit/', { csrfmiddlewaretoken: token })).statusCode).toBe(200);
      });

      it('checks the Origin instead when the browser sent one', async () => {
        const { response } = await securePost({}, { Origin: 'https://localhost' });
        expect(response.statusCode).toBe(200);
      });

      it('lets safe methods through without a Referer', async () => {
        const { client } = setup();
        expect((await client.get('/submit/', undefined, { secure: true })).statusCode).toBe(200);
      });
    });

    describe('wildcard CSRF_TRUSTED_ORIGINS for the Origin check', () => {
      it('accepts an Origin on any subdomain of https://*.example.org, under that scheme only', async () => {
        const { app, client } = setup({ CSRF_TRUSTED_ORIGINS: ['https://*.example.org'] });
        const token = (await client.get('/form/')).text;
        const post = (origin: string) =>
          client.post('/submit/', { csrfmiddlewaretoken: token }, { headers: { Origin: origin } });
        expect((await post('https://blog.example.org')).statusCode).toBe(200);
        expect((await post('https://example.org')).statusCode).toBe(200);
        expect((await post('http://blog.example.org')).statusCode).toBe(403);
        expect((await post('https://example.org.evil.example')).statusCode).toBe(403);
        const exact = await overrideSettings(
          app,
          { CSRF_TRUSTED_ORIGINS: ['https://blog.example.org'] },
          () => post('https://other.example.org'),
        );
        expect(exact.statusCode).toBe(403);
      });
    });
  },
);
