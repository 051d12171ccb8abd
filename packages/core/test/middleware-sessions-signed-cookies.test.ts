import {
  JsonResponse,
  path,
  SessionMiddleware,
  SignedCookieSessionStore,
  type Settings,
} from '@manouche/core';
import { randomBytes } from 'node:crypto';
import { Client } from '@manouche/testing';
import { createLoggedApp } from './support/serve';

const routes = [
  path('set/', (request) => {
    request.session.set('user', request.GET.get('user'));
    if (request.GET.get('big') !== null)
      request.session.set('big', 'x'.repeat(Number(request.GET.get('big'))));
    return new JsonResponse({ ok: true });
  }),
  path('get/', (request) => new JsonResponse({ user: request.session.get('user') ?? null })),
  path('logout/', (request) => {
    request.session.flush();
    return new JsonResponse({ ok: true });
  }),
];

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('SignedCookieSessionStore in %s', (mode) => {
  function setup(extra: Partial<Settings> = {}) {
    const { app, logger } = createLoggedApp({
      ROOT_URLCONF: routes,
      [mode]: [SessionMiddleware],
      SECRET_KEY: 's3cret',
      SESSION_STORE: new SignedCookieSessionStore(),
      ...extra,
    });
    return { app, logger, client: new Client(app) };
  }

  it('keeps the whole session in the signed sessionid cookie and reads it back', async () => {
    const { client } = setup();
    const set = await client.get('/set/', { user: 'ada' });
    const cookie = set.cookies.get('sessionid')!;
    expect(cookie).toMatch(/^sessionid=[^;]+; Max-Age=1209600;/);
    expect((await client.get('/get/')).json()).toEqual({ user: 'ada' });
  });

  it('reads the session from the cookie alone: another application with the same SECRET_KEY sees it', async () => {
    const first = setup();
    await first.client.get('/set/', { user: 'grace' });
    const value = first.client.cookies.get('sessionid')!;
    const second = setup();
    const response = await second.client.get('/get/', undefined, {
      headers: { Cookie: `sessionid=${value}` },
    });
    expect(response.json()).toEqual({ user: 'grace' });
  });

  it('gives an empty session for a tampered cookie', async () => {
    const { client } = setup();
    await client.get('/set/', { user: 'ada' });
    const value = client.cookies.get('sessionid')!;
    const tampered = `${value.slice(0, 5)}${value[5] === 'A' ? 'B' : 'A'}${value.slice(6)}`;
    const response = await setup().client.get('/get/', undefined, {
      headers: { Cookie: `sessionid=${tampered}` },
    });
    expect(response.json()).toEqual({ user: null });
  });

  it('gives an empty session once the session expired, though the signature is good', async () => {
    const { client } = setup({ SESSION_COOKIE_AGE: 1 });
    await client.get('/set/', { user: 'ada' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await client.get('/get/')).json()).toEqual({ user: null });
  });

  it('flush() deletes the cookie', async () => {
    const { client } = setup();
    await client.get('/set/', { user: 'ada' });
    const response = await client.get('/logout/');
    expect(response.cookies.get('sessionid')).toMatch(/^sessionid=; Max-Age=0;/);
    expect((await client.get('/get/')).json()).toEqual({ user: null });
  });

  it('warns once when the cookie grows past what browsers keep (4096 bytes)', async () => {
    const { client, logger } = setup();
    await client.get('/set/', { user: 'ada' });
    expect(logger.at('warn')).toEqual([]);
    // Random data hardly compresses: 8000 hex characters still take over 4096 bytes once encoded.
    const noisy = randomBytes(4000).toString('hex');
    const { client: other, logger: otherLogger } = setup();
    await other.get('/set/', { user: noisy });
    expect(otherLogger.at('warn')).toEqual([
      expect.stringMatching(
        /^The session cookie of \/set\/ is \d+ bytes: browsers drop cookies over 4096 bytes$/,
      ),
    ]);
  });
});
