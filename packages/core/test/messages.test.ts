import {
  CookieStorage,
  createApp,
  FallbackStorage,
  getMessages,
  HttpResponse,
  HttpResponseRedirect,
  ImproperlyConfigured,
  JsonResponse,
  MemorySessionStore,
  MessageFailure,
  MessageMiddleware,
  messages,
  path,
  SessionMiddleware,
  SessionStorage,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { RequestFactory } from '@manouche/testing';
import { Browser } from './support/browser';
import { serve, type Served } from './support/serve';
import { inStack, STACKS } from './support/stacks';

function shown(request: HttpRequest): JsonResponse {
  return new JsonResponse(
    [...getMessages(request)].map(({ level, message, tags }) => ({ level, message, tags })),
  );
}

/** `count` messages of about `size` characters each, `#0` the oldest. */
function addMany(request: HttpRequest, { count, size }: { count: number; size: number }): HttpResponse {
  for (let index = 0; index < count; index++)
    messages.info(request, `#${index} ${'x'.repeat(Math.max(0, size - 4))}`);
  return new HttpResponseRedirect('/show/');
}

const routes = [
  path('add/', (request) => {
    messages.success(request, 'Post published.');
    messages.info(request, 'Comments are open.', 'live');
    return new HttpResponseRedirect('/show/');
  }),
  path('many/<int:count>/<int:size>/', addMany),
  path('show/', shown),
  path('count/', (request) => new JsonResponse({ length: getMessages(request).length })),
  path('show-then-add/', (request) => {
    const seen = [...getMessages(request)].map(String);
    messages.warning(request, 'Added after reading.');
    return new JsonResponse(seen);
  }),
  path('levels/', (request) => {
    messages.debug(request, 'debug');
    messages.info(request, 'info');
    messages.success(request, 'success', 'big');
    messages.warning(request, 'warning');
    messages.error(request, 'error');
    messages.addMessage(request, 35, 'custom');
    messages.addMessage(request, messages.INFO, '');
    return shown(request);
  }),
  path('verbose/', (request) => {
    messages.setLevel(request, messages.DEBUG);
    messages.debug(request, 'now recorded');
    return new JsonResponse({
      level: messages.getLevel(request),
      shown: [...getMessages(request)].map(String),
    });
  }),
  path('plain/', () => new HttpResponse('no message touched')),
];

describe.each(STACKS)('MessageMiddleware in %s', (stack) => {
  let served: Served;
  let store: MemorySessionStore;

  async function start(extra: Partial<Settings> = {}): Promise<void> {
    await served?.close();
    store = new MemorySessionStore();
    served = await serve({
      ROOT_URLCONF: routes,
      SECRET_KEY: 'messages-tests',
      SESSION_STORE: store,
      ...inStack(stack, SessionMiddleware, MessageMiddleware),
      ...extra,
    });
  }

  beforeEach(() => start());
  afterAll(() => served.close());

  async function sessionData(browser: Browser): Promise<Record<string, unknown> | null> {
    const cookie = browser.cookies.get('sessionid');
    return cookie === undefined ? null : store.load(cookie.split(':')[0]!);
  }

  it('messages survive a redirect and are shown once (the default FallbackStorage, in the cookie)', async () => {
    const browser = new Browser(served.url);
    const added = await browser.get('/add/');
    expect(added.status).toBe(302);
    expect(added.setCookies.get('messages')).toMatch(/^messages=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(added.setCookies.has('sessionid')).toBe(false);

    const page = await browser.get('/show/');
    expect(JSON.parse(page.text)).toEqual([
      { level: 25, message: 'Post published.', tags: 'success' },
      { level: 20, message: 'Comments are open.', tags: 'live info' },
    ]);
    expect(page.setCookies.get('messages')).toMatch(/^messages=; Max-Age=0;/);
    expect(JSON.parse((await browser.get('/show/')).text)).toEqual([]);
  });

  it('keeps unread messages for the next request, and those added after reading', async () => {
    const browser = new Browser(served.url);
    await browser.get('/add/');
    expect(JSON.parse((await browser.get('/count/')).text)).toEqual({ length: 2 });
    expect(JSON.parse((await browser.get('/show-then-add/')).text)).toEqual([
      'Post published.',
      'Comments are open.',
    ]);
    expect(JSON.parse((await browser.get('/show/')).text)).toEqual([
      { level: 30, message: 'Added after reading.', tags: 'warning' },
    ]);
  });

  it("has Django's levels and tags: DEBUG is below MESSAGE_LEVEL, empty text is ignored", async () => {
    const response = await new Browser(served.url).get('/levels/');
    expect(JSON.parse(response.text)).toEqual([
      { level: 20, message: 'info', tags: 'info' },
      { level: 25, message: 'success', tags: 'big success' },
      { level: 30, message: 'warning', tags: 'warning' },
      { level: 40, message: 'error', tags: 'error' },
      { level: 35, message: 'custom', tags: '' },
    ]);
    expect(messages.DEFAULT_LEVELS).toEqual({ DEBUG: 10, INFO: 20, SUCCESS: 25, WARNING: 30, ERROR: 40 });
  });

  it('MESSAGE_LEVEL and MESSAGE_TAGS change what is recorded and how it is tagged', async () => {
    await start({ MESSAGE_LEVEL: messages.WARNING, MESSAGE_TAGS: { 40: 'danger', 35: 'notice' } });
    expect(JSON.parse((await new Browser(served.url).get('/levels/')).text)).toEqual([
      { level: 30, message: 'warning', tags: 'warning' },
      { level: 40, message: 'error', tags: 'danger' },
      { level: 35, message: 'custom', tags: 'notice' },
    ]);
  });

  it('setLevel() changes the level for the rest of the request', async () => {
    const response = await new Browser(served.url).get('/verbose/');
    expect(JSON.parse(response.text)).toEqual({ level: 10, shown: ['now recorded'] });
  });

  it('a request that touches no message costs no cookie and no Vary', async () => {
    const response = await new Browser(served.url).get('/plain/');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers.vary).toBeUndefined();
  });

  it('CookieStorage over its 2048-byte limit drops the oldest messages (here 4 of 6), with one warning', async () => {
    await start({ MESSAGE_STORAGE: CookieStorage });
    const browser = new Browser(served.url);
    const added = await browser.get('/many/6/500/');
    const value = added.setCookies.get('messages')!.split(';')[0]!.slice('messages='.length);
    expect(value.length).toBeLessThanOrEqual(2048);
    expect(served.logger.at('warn')).toEqual([
      'Not all messages could be stored (4 dropped, the oldest first): /many/6/500/',
    ]);
    const kept = (JSON.parse((await browser.get('/show/')).text) as Array<{ message: string }>).map(
      ({ message }) => message.split(' ')[0],
    );
    expect(kept).toEqual(['#4', '#5']);
  });

  it('FallbackStorage keeps the oldest in the cookie and the rest in the session, and empties both', async () => {
    const browser = new Browser(served.url);
    await browser.get('/many/6/500/');
    expect(served.logger.at('warn')).toEqual([]);
    expect(browser.cookies.get('messages')).toBeDefined();
    expect((await sessionData(browser))?._messages).toHaveLength(4);

    const page = await browser.get('/show/');
    const texts = (JSON.parse(page.text) as Array<{ message: string }>).map(
      ({ message }) => message.split(' ')[0],
    );
    expect(texts).toEqual(['#0', '#1', '#2', '#3', '#4', '#5']);
    expect(browser.cookies.get('messages')).toBeUndefined();
    expect((await sessionData(browser))?._messages).toBeUndefined();
  });

  it('FallbackStorage reads the session only when the cookie says it holds the rest', async () => {
    const browser = new Browser(served.url);
    await browser.get('/add/');
    const page = await browser.get('/show/');
    expect(JSON.parse(page.text)).toHaveLength(2);
    expect(page.headers.vary).toBeUndefined();
  });

  it('SessionStorage keeps messages in the session, not in a cookie', async () => {
    await start({ MESSAGE_STORAGE: SessionStorage });
    const browser = new Browser(served.url);
    const added = await browser.get('/add/');
    expect(added.setCookies.has('messages')).toBe(false);
    expect((await sessionData(browser))?._messages).toEqual([
      [25, 'Post published.'],
      [20, 'Comments are open.', 'live'],
    ]);
    expect(JSON.parse((await browser.get('/show/')).text)).toHaveLength(2);
    expect(JSON.parse((await browser.get('/show/')).text)).toEqual([]);
  });

  it('MESSAGE_MAX_STORED bounds what is kept: the oldest go, with one warning', async () => {
    await start({ MESSAGE_MAX_STORED: 3, MESSAGE_STORAGE: SessionStorage });
    const browser = new Browser(served.url);
    await browser.get('/many/5/10/');
    expect(served.logger.at('warn')).toEqual([
      'Not all messages could be stored (2 dropped, the oldest first): /many/5/10/',
    ]);
    const kept = (JSON.parse((await browser.get('/show/')).text) as Array<{ message: string }>).map(
      ({ message }) => message.split(' ')[0],
    );
    expect(kept).toEqual(['#2', '#3', '#4']);
  });

  it.each([
    ['FallbackStorage', FallbackStorage],
    ['CookieStorage', CookieStorage],
  ])('a tampered messages cookie is ignored and dropped (%s)', async (_name, storage) => {
    await start({ MESSAGE_STORAGE: storage });
    const browser = new Browser(served.url);
    await browser.get('/add/');
    const [payload, stamp] = browser.cookies.get('messages')!.split(':');
    browser.cookies.set('messages', `${payload}x:${stamp}:forged`);
    const page = await browser.get('/show/');
    expect(JSON.parse(page.text)).toEqual([]);
    expect(page.status).toBe(200);
    expect(page.setCookies.get('messages')).toMatch(/^messages=; Max-Age=0;/);
  });

  it('a session-based storage without SessionMiddleware before it is a 500 naming it', async () => {
    await start(inStack(stack, MessageMiddleware));
    const response = await new Browser(served.url).get('/plain/');
    expect(response.status).toBe(500);
    const logged = served.logger.lines[0]!.error as Error;
    expect(logged).toBeInstanceOf(ImproperlyConfigured);
    expect(logged.message).toMatch(/needs SessionMiddleware: list it before MessageMiddleware/);
    await start({ ...inStack(stack, MessageMiddleware), MESSAGE_STORAGE: CookieStorage });
    expect(JSON.parse((await new Browser(served.url).get('/levels/')).text)).toHaveLength(5);
  });
});

describe('messages without MessageMiddleware', () => {
  const request = () => new RequestFactory(createApp({ ROOT_URLCONF: [], MESSAGE_LEVEL: 30 })).get('/');

  it("adding one raises Django's MessageFailure, unless failSilently", () => {
    expect(() => messages.success(request(), 'lost')).toThrow(MessageFailure);
    expect(() => messages.addMessage(request(), messages.INFO, 'lost')).toThrow(
      'You cannot add messages without installing MessageMiddleware (in MIDDLEWARE or MIDDLEWARE_CLASSES)',
    );
    expect(() => messages.info(request(), 'dropped', '', { failSilently: true })).not.toThrow();
    expect(new MessageFailure('x')).toMatchObject({ code: 'MNC_ERR_MESSAGE_FAILURE', status: 500 });
  });

  it('getMessages() is empty, getLevel() is MESSAGE_LEVEL and setLevel() says it could not', () => {
    const plain = request();
    expect([...getMessages(plain)]).toEqual([]);
    expect(getMessages(plain).length).toBe(0);
    expect(messages.getLevel(plain)).toBe(30);
    expect(messages.setLevel(plain, 10)).toBe(false);
  });
});
