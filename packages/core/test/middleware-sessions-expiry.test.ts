import {
  createApp,
  JsonResponse,
  MemorySessionStore,
  path,
  SessionMiddleware,
  type SessionData,
  type Settings,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { MemoryLogger } from './support/serve';

/** A memory store that remembers the expiry it was last given. */
class RecordingStore extends MemorySessionStore {
  lastExpiresAt: Date | null = null;
  override async save(key: string, data: SessionData, expiresAt: Date): Promise<void> {
    this.lastExpiresAt = expiresAt;
    await super.save(key, data, expiresAt);
  }
}

const routes = [
  path('expiry/', (request) => {
    const session = request.session;
    const value = request.GET.get('v');
    session.set('visits', Number(session.get('visits') ?? 0) + 1);
    if (value === 'null') session.setExpiry(null);
    else if (value?.startsWith('in:'))
      session.setExpiry(new Date(Date.now() + Number(value.slice(3)) * 1000));
    else if (value !== null) session.setExpiry(Number(value));
    return new JsonResponse({
      visits: session.get('visits'),
      age: session.getExpiryAge(),
      atBrowserClose: session.getExpireAtBrowserClose(),
      date: session.getExpiryDate().getTime(),
    });
  }),
  path('bad/', (request) => {
    request.session.setExpiry(-5);
    return new JsonResponse({});
  }),
];

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('session expiry in %s', (mode) => {
  function setup(extra: Partial<Settings> = {}) {
    const store = new RecordingStore();
    const app = createApp({
      ROOT_URLCONF: routes,
      [mode]: [SessionMiddleware],
      SECRET_KEY: 's3cret',
      SESSION_STORE: store,
      LOGGER: new MemoryLogger(),
      ...extra,
    });
    return { store, client: new Client(app) };
  }

  it('by default the cookie lasts SESSION_COOKIE_AGE (two weeks), Max-Age and Expires both set', async () => {
    const { client, store } = setup();
    const response = await client.get('/expiry/');
    expect(response.cookies.get('sessionid')).toMatch(/; Max-Age=1209600; .*Expires=/);
    expect(response.json()).toMatchObject({ age: 1209600, atBrowserClose: false });
    expect(Math.abs(store.lastExpiresAt!.getTime() - (Date.now() + 1209600 * 1000))).toBeLessThan(60_000);
  });

  it('honours SESSION_COOKIE_AGE for the cookie and the store', async () => {
    const { client, store } = setup({ SESSION_COOKIE_AGE: 60 });
    const response = await client.get('/expiry/');
    expect(response.cookies.get('sessionid')).toContain('; Max-Age=60;');
    expect(Math.abs(store.lastExpiresAt!.getTime() - (Date.now() + 60_000))).toBeLessThan(30_000);
  });

  it('SESSION_EXPIRE_AT_BROWSER_CLOSE gives a cookie without Max-Age or Expires', async () => {
    const { client } = setup({ SESSION_EXPIRE_AT_BROWSER_CLOSE: true });
    const response = await client.get('/expiry/');
    expect(response.cookies.get('sessionid')).not.toMatch(/Max-Age|Expires/);
    expect(response.json()).toMatchObject({ atBrowserClose: true, age: 1209600 });
  });

  it('setExpiry(seconds) sets the cookie Max-Age, and it stays for the later requests', async () => {
    const { client } = setup();
    expect((await client.get('/expiry/', { v: '300' })).cookies.get('sessionid')).toContain('; Max-Age=300;');
    const later = await client.get('/expiry/');
    expect(later.cookies.get('sessionid')).toContain('; Max-Age=300;');
    expect(later.json()).toMatchObject({ visits: 2, age: 300 });
  });

  it('setExpiry(0) makes the session end with the browser', async () => {
    const { client } = setup();
    const response = await client.get('/expiry/', { v: '0' });
    expect(response.cookies.get('sessionid')).not.toMatch(/Max-Age|Expires/);
    expect(response.json()).toMatchObject({ atBrowserClose: true });
  });

  it('setExpiry(seconds) wins over SESSION_EXPIRE_AT_BROWSER_CLOSE', async () => {
    const { client } = setup({ SESSION_EXPIRE_AT_BROWSER_CLOSE: true });
    const response = await client.get('/expiry/', { v: '600' });
    expect(response.cookies.get('sessionid')).toContain('; Max-Age=600;');
    expect(response.json()).toMatchObject({ atBrowserClose: false, age: 600 });
  });

  it('setExpiry(date) expires the session then: the age counts down to it', async () => {
    const { client, store } = setup();
    const response = await client.get('/expiry/', { v: 'in:3600' });
    const { age, date } = response.json() as { age: number; date: number };
    expect(age).toBeGreaterThan(3500);
    expect(age).toBeLessThanOrEqual(3600);
    expect(store.lastExpiresAt!.getTime()).toBe(date);
    expect(response.cookies.get('sessionid')).toMatch(/; Max-Age=3[56]\d\d;/);
  });

  it('setExpiry(null) returns to the settings policy', async () => {
    const { client } = setup({ SESSION_COOKIE_AGE: 120 });
    await client.get('/expiry/', { v: '300' });
    const response = await client.get('/expiry/', { v: 'null' });
    expect(response.cookies.get('sessionid')).toContain('; Max-Age=120;');
    expect(response.json()).toMatchObject({ age: 120 });
  });

  it('a session whose setExpiry() outlasts SESSION_COOKIE_AGE is still read back', async () => {
    const { client } = setup({ SESSION_COOKIE_AGE: 1 });
    await client.get('/expiry/', { v: '3600' });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await client.get('/expiry/')).json()).toMatchObject({ visits: 2 });
  });

  it('setExpiry() of a negative or fractional number is a TypeError (500)', async () => {
    const { client } = setup();
    expect((await client.get('/bad/')).statusCode).toBe(500);
  });
});
