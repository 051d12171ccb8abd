import { HttpResponse, JsonResponse, path, SecurityMiddleware, type Settings } from '@manouche/core';
import { overrideSettings } from '@manouche/testing';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';
import { inStack, STACKS, type Stack } from './support/stacks';

const stack = (setting: Stack): Partial<Settings> => inStack(setting, SecurityMiddleware);

/** What a proxy that terminated TLS adds, with `SECURE_PROXY_SSL_HEADER` set to trust it. */
const VIA_HTTPS = { 'x-forwarded-proto': 'https' };

describe.each(STACKS)('SecurityMiddleware in %s', (setting) => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ...stack(setting),
      SECURE_PROXY_SSL_HEADER: ['x-forwarded-proto', 'https'],
      ROOT_URLCONF: [
        path('', () => new HttpResponse('home')),
        path('api/', () => new JsonResponse({ ok: true })),
        path(
          'own-headers/',
          () =>
            new HttpResponse('mine', {
              headers: {
                'X-Content-Type-Options': 'sniff-away',
                'Referrer-Policy': 'no-referrer',
                'Cross-Origin-Opener-Policy': 'unsafe-none',
                'Strict-Transport-Security': 'max-age=60',
              },
            }),
        ),
        path('health/', () => new HttpResponse('up')),
        path('static/app.css', () => new HttpResponse('body {}', { contentType: 'text/css' })),
      ],
    });
  });
  afterAll(() => served.close());

  /** `overrideSettings` on this suite's application. */
  const withSettings = (patch: Partial<Settings>, fn: () => Promise<void>) =>
    overrideSettings(served.app, patch, fn);

  describe('headers with the default settings', () => {
    it('sends X-Content-Type-Options: nosniff', async () => {
      const response = await httpRequest(`${served.url}/`);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    });

    it('sends Referrer-Policy: same-origin', async () => {
      const response = await httpRequest(`${served.url}/`);
      expect(response.headers['referrer-policy']).toBe('same-origin');
    });

    it('joins a SECURE_REFERRER_POLICY list of fallbacks with commas, as Django does', async () => {
      const response = await overrideSettings(
        served.app,
        { SECURE_REFERRER_POLICY: ['no-referrer', ' strict-origin-when-cross-origin'] },
        () => httpRequest(`${served.url}/`),
      );
      expect(response.headers['referrer-policy']).toBe('no-referrer,strict-origin-when-cross-origin');
    });

    it('sends Cross-Origin-Opener-Policy: same-origin on non-HTML responses too', async () => {
      const response = await httpRequest(`${served.url}/api/`);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    });

    it('sends no Strict-Transport-Security (SECURE_HSTS_SECONDS is 0)', async () => {
      const response = await httpRequest(`${served.url}/`, { headers: VIA_HTTPS });
      expect(response.headers['strict-transport-security']).toBeUndefined();
    });

    it('adds the headers to error responses as well', async () => {
      const response = await httpRequest(`${served.url}/missing/`);
      expect(response.status).toBe(404);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  it('never overwrites a header the view set', async () => {
    await withSettings({ SECURE_HSTS_SECONDS: 3600 }, async () => {
      const response = await httpRequest(`${served.url}/own-headers/`, { headers: VIA_HTTPS });
      expect(response.headers['x-content-type-options']).toBe('sniff-away');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cross-origin-opener-policy']).toBe('unsafe-none');
      expect(response.headers['strict-transport-security']).toBe('max-age=60');
    });
  });

  it('leaves each header out when its setting is turned off', async () => {
    await withSettings(
      {
        SECURE_CONTENT_TYPE_NOSNIFF: false,
        SECURE_REFERRER_POLICY: null,
        SECURE_CROSS_ORIGIN_OPENER_POLICY: null,
      },
      async () => {
        const response = await httpRequest(`${served.url}/`);
        expect(response.headers['x-content-type-options']).toBeUndefined();
        expect(response.headers['referrer-policy']).toBeUndefined();
        expect(response.headers['cross-origin-opener-policy']).toBeUndefined();
      },
    );
  });

  it('sends a comma-separated SECURE_REFERRER_POLICY as a fallback list', async () => {
    await withSettings(
      { SECURE_REFERRER_POLICY: 'no-referrer, strict-origin-when-cross-origin' },
      async () => {
        const response = await httpRequest(`${served.url}/`);
        expect(response.headers['referrer-policy']).toBe('no-referrer,strict-origin-when-cross-origin');
      },
    );
  });

  it('sends the configured SECURE_CROSS_ORIGIN_OPENER_POLICY', async () => {
    await withSettings({ SECURE_CROSS_ORIGIN_OPENER_POLICY: 'same-origin-allow-popups' }, async () => {
      const response = await httpRequest(`${served.url}/`);
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin-allow-popups');
    });
  });

  describe('SECURE_HSTS_SECONDS', () => {
    it('sends Strict-Transport-Security on a secure request', async () => {
      await withSettings({ SECURE_HSTS_SECONDS: 3600 }, async () => {
        const response = await httpRequest(`${served.url}/`, { headers: VIA_HTTPS });
        expect(response.headers['strict-transport-security']).toBe('max-age=3600');
      });
    });

    it('adds includeSubDomains and preload when asked', async () => {
      await withSettings(
        { SECURE_HSTS_SECONDS: 31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS: true, SECURE_HSTS_PRELOAD: true },
        async () => {
          const response = await httpRequest(`${served.url}/`, { headers: VIA_HTTPS });
          expect(response.headers['strict-transport-security']).toBe(
            'max-age=31536000; includeSubDomains; preload',
          );
        },
      );
    });

    it('never sends Strict-Transport-Security over plain HTTP', async () => {
      await withSettings({ SECURE_HSTS_SECONDS: 3600 }, async () => {
        const response = await httpRequest(`${served.url}/`);
        expect(response.headers['strict-transport-security']).toBeUndefined();
      });
    });
  });

  describe('SECURE_SSL_REDIRECT', () => {
    it('redirects a plain HTTP request to https with 301, keeping host, path and query', async () => {
      await withSettings({ SECURE_SSL_REDIRECT: true }, async () => {
        const response = await httpRequest(`${served.url}/api/?page=2`);
        expect(response.status).toBe(301);
        expect(response.headers.location).toBe(`https://127.0.0.1:${served.port}/api/?page=2`);
      });
    });

    it('lets a secure request through', async () => {
      await withSettings({ SECURE_SSL_REDIRECT: true }, async () => {
        const response = await httpRequest(`${served.url}/`, { headers: VIA_HTTPS });
        expect(response.status).toBe(200);
        expect(response.text).toBe('home');
      });
    });

    it('redirects to SECURE_SSL_HOST when it is set', async () => {
      await withSettings({ SECURE_SSL_REDIRECT: true, SECURE_SSL_HOST: 'secure.example.com' }, async () => {
        const response = await httpRequest(`${served.url}/api/`);
        expect(response.headers.location).toBe('https://secure.example.com/api/');
      });
    });

    it('lets paths matching SECURE_REDIRECT_EXEMPT (without their leading /) stay on HTTP', async () => {
      await withSettings(
        { SECURE_SSL_REDIRECT: true, SECURE_REDIRECT_EXEMPT: ['^health/$', /^static\//g] },
        async () => {
          const exempt = await httpRequest(`${served.url}/health/`);
          expect(exempt.status).toBe(200);
          const other = await httpRequest(`${served.url}/`);
          expect(other.status).toBe(301);
        },
      );
    });

    it('still adds the security headers to its redirect', async () => {
      await withSettings({ SECURE_SSL_REDIRECT: true }, async () => {
        const response = await httpRequest(`${served.url}/`);
        expect(response.status).toBe(301);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      });
    });

    it('answers 500 naming SECURE_REDIRECT_EXEMPT when it is not an array', async () => {
      await withSettings(
        {
          SECURE_SSL_REDIRECT: true,
          SECURE_REDIRECT_EXEMPT: '^health/$' as unknown as string[],
          DEBUG: true,
        },
        async () => {
          const response = await httpRequest(`${served.url}/health/`);
          expect(response.status).toBe(500);
          expect(response.text).toContain('SECURE_REDIRECT_EXEMPT setting must be an array');
        },
      );
    });
  });
});

describe('SecurityMiddleware settings that Django accepts', () => {
  it('takes SECURE_REFERRER_POLICY as an array at createApp', async () => {
    const served = await serve({
      MIDDLEWARE: [SecurityMiddleware],
      SECURE_REFERRER_POLICY: ['same-origin', 'no-referrer'],
      ROOT_URLCONF: [path('', () => new HttpResponse('home'))],
    });
    try {
      expect((await httpRequest(`${served.url}/`)).headers['referrer-policy']).toBe(
        'same-origin,no-referrer',
      );
    } finally {
      await served.close();
    }
  });
});
