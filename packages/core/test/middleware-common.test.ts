import { CommonMiddleware, Http404, HttpResponse, noAppendSlash, path, type Settings } from '@manouche/core';
import { overrideSettings } from '@manouche/testing';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';
import { inStack, STACKS, type Stack } from './support/stacks';

const stack = (setting: Stack): Partial<Settings> => inStack(setting, CommonMiddleware);

const text = (body: string) => (): HttpResponse => new HttpResponse(body);

describe.each(STACKS)('CommonMiddleware in %s', (setting) => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ...stack(setting),
      ALLOWED_HOSTS: ['127.0.0.1', 'example.com', 'www.example.com'],
      ROOT_URLCONF: [
        path('about/', text('about page')),
        path('exact', text('exact, no slash')),
        path('exact/', text('exact, with slash')),
        path('item', () => {
          throw new Http404('no such item');
        }),
        path('item/', text('item with slash')),
        path('café/', text('accented')),
        path('hook/', noAppendSlash(text('hook'))),
      ],
    });
  });
  afterAll(() => served.close());

  /** `overrideSettings` on this suite's application. */
  const withSettings = (patch: Partial<Settings>, fn: () => Promise<void>) =>
    overrideSettings(served.app, patch, fn);

  describe('APPEND_SLASH', () => {
    it('redirects /about to /about/ with 301 when only /about/ resolves', async () => {
      const response = await httpRequest(`${served.url}/about`);
      expect(response.status).toBe(301);
      expect(response.headers.location).toBe('/about/');
    });

    it('keeps the query string when it redirects', async () => {
      const response = await httpRequest(`${served.url}/about?page=2&q=a%20b`);
      expect(response.status).toBe(301);
      expect(response.headers.location).toBe('/about/?page=2&q=a%20b');
    });

    it('leaves /exact alone when /exact itself resolves', async () => {
      const response = await httpRequest(`${served.url}/exact`);
      expect(response.status).toBe(200);
      expect(response.text).toBe('exact, no slash');
    });

    it("keeps a view's own 404 when the path itself resolves", async () => {
      const response = await httpRequest(`${served.url}/item`);
      expect(response.status).toBe(404);
    });

    it('answers 404 when the path with a slash does not resolve either', async () => {
      const response = await httpRequest(`${served.url}/missing`);
      expect(response.status).toBe(404);
    });

    it('percent-encodes the path in Location', async () => {
      const response = await httpRequest(`${served.url}/caf%C3%A9`);
      expect(response.status).toBe(301);
      expect(response.headers.location).toBe('/caf%C3%A9/');
    });

    it('escapes a path that starts with // so Location is never a scheme-relative URL', async () => {
      // `<path:rest>/` matches `//evil.example/` (Django routes see the path without its first `/`).
      const catchAll = await serve({ ...stack(setting), ROOT_URLCONF: [path('<path:rest>/', text('any'))] });
      try {
        const response = await httpRequest(`${catchAll.url}//evil.example`);
        expect(response.status).toBe(301);
        expect(response.headers.location).toBe('/%2Fevil.example/');
      } finally {
        await catchAll.close();
      }
    });

    it('does nothing when APPEND_SLASH is turned off at run time', async () => {
      await withSettings({ APPEND_SLASH: false }, async () => {
        const response = await httpRequest(`${served.url}/about`);
        expect(response.status).toBe(404);
      });
    });

    it('redirects a POST when DEBUG is off (the body is lost, as in Django)', async () => {
      const response = await httpRequest(`${served.url}/about`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      });
      expect(response.status).toBe(301);
      expect(response.headers.location).toBe('/about/');
    });

    it.each(['POST', 'PUT', 'PATCH'])(
      'answers a %s with 500 explaining the lost body when DEBUG is on',
      async (method) => {
        await withSettings({ DEBUG: true }, async () => {
          const response = await httpRequest(`${served.url}/about?x=1`, { method, body: 'a=1' });
          expect(response.status).toBe(500);
          expect(response.text).toContain('AppendSlashRedirectError');
          expect(response.text).toContain(`You called this URL via ${method}`);
          expect(response.text).toContain('127.0.0.1');
          expect(response.text).toContain('/about/?x=1 (note the trailing slash)');
        });
      },
    );

    it('still redirects a GET when DEBUG is on', async () => {
      await withSettings({ DEBUG: true }, async () => {
        const response = await httpRequest(`${served.url}/about`);
        expect(response.status).toBe(301);
      });
    });
  });

  describe('noAppendSlash()', () => {
    it('keeps /hook a 404 although /hook/ resolves to a view marked with it', async () => {
      expect((await httpRequest(`${served.url}/hook`)).status).toBe(404);
      const marked = await httpRequest(`${served.url}/hook/`);
      expect([marked.status, marked.text]).toEqual([200, 'hook']);
    });
  });

  describe('DISALLOWED_USER_AGENTS', () => {
    const agents = { DISALLOWED_USER_AGENTS: [/BadBot/i, /^curl\//g] };

    it('refuses a matching User-Agent with 403 and one log line, before any redirect', async () => {
      await withSettings(agents, async () => {
        served.logger.lines.length = 0;
        for (const userAgent of ['Mozilla/5.0 (compatible; badbot/2.1)', 'curl/8.5', 'curl/8.5']) {
          const response = await httpRequest(`${served.url}/about`, { headers: { 'user-agent': userAgent } });
          expect([userAgent, response.status]).toEqual([userAgent, 403]);
        }
        expect(served.logger.messages()).toEqual([
          'Forbidden: /about (Forbidden user agent)',
          'Forbidden: /about (Forbidden user agent)',
          'Forbidden: /about (Forbidden user agent)',
        ]);
      });
    });

    it('lets other user agents, and requests without one, through', async () => {
      await withSettings(agents, async () => {
        const browser = await httpRequest(`${served.url}/about/`, {
          headers: { 'user-agent': 'Mozilla/5.0' },
        });
        expect(browser.status).toBe(200);
        expect((await httpRequest(`${served.url}/about/`)).status).toBe(200);
      });
    });
  });

  describe('PREPEND_WWW', () => {
    it('redirects example.com to www.example.com, appending the slash in the same redirect', async () => {
      await withSettings({ PREPEND_WWW: true }, async () => {
        const response = await httpRequest(`${served.url}/about?x=1`, { headers: { host: 'example.com' } });
        expect(response.status).toBe(301);
        expect(response.headers.location).toBe('http://www.example.com/about/?x=1');
      });
    });

    it('redirects a path that needs no slash to the same path on www.', async () => {
      await withSettings({ PREPEND_WWW: true }, async () => {
        const response = await httpRequest(`${served.url}/exact`, { headers: { host: 'example.com' } });
        expect(response.status).toBe(301);
        expect(response.headers.location).toBe('http://www.example.com/exact');
      });
    });

    it('keeps the https scheme of a request a proxy marked secure', async () => {
      await withSettings(
        { PREPEND_WWW: true, SECURE_PROXY_SSL_HEADER: ['x-forwarded-proto', 'https'] },
        async () => {
          const response = await httpRequest(`${served.url}/about/`, {
            headers: { host: 'example.com', 'x-forwarded-proto': 'https' },
          });
          expect(response.headers.location).toBe('https://www.example.com/about/');
        },
      );
    });

    it('leaves a www. host alone', async () => {
      await withSettings({ PREPEND_WWW: true }, async () => {
        const response = await httpRequest(`${served.url}/about/`, { headers: { host: 'www.example.com' } });
        expect(response.status).toBe(200);
        expect(response.text).toBe('about page');
      });
    });

    it('is off by default', async () => {
      const response = await httpRequest(`${served.url}/about/`, { headers: { host: 'example.com' } });
      expect(response.status).toBe(200);
    });
  });
});
