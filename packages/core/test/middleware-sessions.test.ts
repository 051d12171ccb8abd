import {
  createApp,
  HttpResponse,
  JsonResponse,
  MemorySessionStore,
  path,
  SessionMiddleware,
  type Settings,
} from '@manouche/core';
import { Client, overrideSettings } from '@manouche/testing';

const routes = [
  path('set/', (request) => {
    request.session.set('user', request.GET.get('user'));
    return new HttpResponse('set');
  }),
  path('get/', (request) => new JsonResponse({ user: request.session.get('user') ?? null })),
  path('login/', (request) => {
    request.session.cycleKey();
    request.session.set('user', 'ada');
    return new HttpResponse('in');
  }),
  path('logout/', (request) => {
    request.session.flush();
    return new HttpResponse('out');
  }),
  path('untouched/', () => new HttpResponse('no session use')),
];

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('SessionMiddleware in %s', (mode) => {
  function setup(extra: Partial<Settings> = {}) {
    const store = new MemorySessionStore();
    const app = createApp({
      ROOT_URLCONF: routes,
      [mode]: [SessionMiddleware],
      SECRET_KEY: 's3cret',
      SESSION_STORE: store,
      ...extra,
    });
    return { app, store, client: new Client(app) };
  }

  it('keeps a value between requests through a signed sessionid cookie', async () => {
    const { client } = setup();
    const first = await client.get('/set/', { user: 'ada' });
    const cookie = first.cookies.get('sessionid')!;
    expect(cookie).toMatch(
      /^sessionid=[^;]+; Max-Age=1209600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    expect((await client.get('/get/')).json()).toEqual({ user: 'ada' });
  });

  it('starts an empty session when the cookie was tampered with', async () => {
    const { client } = setup();
    await client.get('/set/', { user: 'ada' });
    const signed = client.cookies.get('sessionid')!;
    client.cookies.set('sessionid', signed.replace(/^[^:]+/, 'someone-elses-key'));
    expect((await client.get('/get/')).json()).toEqual({ user: null });
  });

  it('does not read a session signed with another SECRET_KEY', async () => {
    const { client, store } = setup();
    await client.get('/set/', { user: 'ada' });
    const other = createApp({
      ROOT_URLCONF: routes,
      [mode]: [SessionMiddleware],
      SECRET_KEY: 'other',
      SESSION_STORE: store,
    });
    const thief = new Client(other);
    thief.cookies.set('sessionid', client.cookies.get('sessionid')!);
    expect((await thief.get('/get/')).json()).toEqual({ user: null });
  });

  it('sets no cookie and adds no Vary when the view never touched the session', async () => {
    const { client } = setup();
    const response = await client.get('/untouched/');
    expect(response.cookies.size).toBe(0);
    expect(response.headers.get('vary')).toBeNull();
  });

  it('adds Vary: Cookie when flush() is called on a request without a session, as Django does', async () => {
    const { client } = setup();
    const response = await client.get('/logout/');
    expect(response.headers.get('Vary')).toBe('Cookie');
    expect(response.cookies.has('sessionid')).toBe(false);
  });

  it('deletes a cookie for a session the store no longer has, with Vary: Cookie', async () => {
    const { client, store } = setup();
    await client.get('/set/', { user: 'ada' });
    const key = client.cookies.get('sessionid')!.split(':')[0]!;
    await store.delete(key);
    const response = await client.get('/untouched/');
    expect(response.cookies.get('sessionid')).toMatch(/^sessionid=; .*Max-Age=0/);
    expect(response.headers.get('Vary')).toBe('Cookie');
  });

  it('adds Vary: Cookie when the view read the session', async () => {
    const { client } = setup();
    expect((await client.get('/get/')).headers.get('vary')).toBe('Cookie');
  });

  it('cycleKey() keeps the data under a new key and forgets the old one', async () => {
    const { client, store } = setup();
    await client.get('/set/', { user: 'guest' });
    const before = client.cookies.get('sessionid')!.split(':')[0]!;
    await client.get('/login/');
    const after = client.cookies.get('sessionid')!.split(':')[0]!;
    expect(after).not.toBe(before);
    expect(await store.load(before)).toBeNull();
    expect(await store.load(after)).toEqual({ user: 'ada' });
  });

  it('flush() empties the session, deletes it from the store and the cookie from the client', async () => {
    const { client, store } = setup();
    await client.get('/set/', { user: 'ada' });
    const key = client.cookies.get('sessionid')!.split(':')[0]!;
    const response = await client.get('/logout/');
    expect(response.cookies.get('sessionid')).toMatch(/^sessionid=; Max-Age=0;/);
    expect(client.cookies.get('sessionid')).toBeUndefined();
    expect(await store.load(key)).toBeNull();
    expect((await client.get('/get/')).json()).toEqual({ user: null });
  });

  it('reads its cookie settings per request', async () => {
    const { app, client } = setup();
    const response = await overrideSettings(app, { SESSION_COOKIE_NAME: 'sid' }, () =>
      client.get('/set/', { user: 'ada' }),
    );
    expect(response.cookies.has('sid')).toBe(true);
  });

  it('uses an in-memory store when SESSION_STORE is unset', async () => {
    const app = createApp({ ROOT_URLCONF: routes, [mode]: [SessionMiddleware], SECRET_KEY: 's3cret' });
    const client = new Client(app);
    await client.get('/set/', { user: 'ada' });
    expect((await client.get('/get/')).json()).toEqual({ user: 'ada' });
  });

  it('answers 500 and saves nothing when SECRET_KEY is missing', async () => {
    const app = createApp({
      ROOT_URLCONF: routes,
      [mode]: [SessionMiddleware],
      LOGGER: { info() {}, warn() {}, error() {} },
    });
    const response = await new Client(app).get('/set/', { user: 'ada' });
    expect(response.statusCode).toBe(500);
    expect(response.cookies.size).toBe(0);
  });
});
