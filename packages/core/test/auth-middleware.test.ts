import {
  AnonymousUser,
  authenticate,
  AuthenticationMiddleware,
  createApp,
  CsrfViewMiddleware,
  getToken,
  HttpResponse,
  HttpResponseRedirect,
  ImproperlyConfigured,
  JsonResponse,
  login,
  logout,
  MemorySessionStore,
  path,
  PermissionDenied,
  SessionMiddleware,
  type AuthBackend,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { RequestFactory } from '@manouche/testing';
import { Browser } from './support/browser';
import { HashedMember, Member, MemberBackend } from './support/members';
import { serve, type Served } from './support/serve';
import { inStack, STACKS } from './support/stacks';

const ada = new Member(1, 'ada', 'lovelace');
const grace = new Member(2, 'grace', 'hopper');

function whoami(request: HttpRequest): JsonResponse {
  const user = request.user;
  return new JsonResponse({
    authenticated: user.isAuthenticated,
    anonymous: user.isAnonymous,
    pk: user.pk,
    username: user.username,
  });
}

async function logInView(request: HttpRequest): Promise<HttpResponse> {
  const user = await authenticate(request, {
    username: request.POST.get('username'),
    password: request.POST.get('password'),
  });
  if (user === null) return new HttpResponse('wrong', { status: 400 });
  login(request, user);
  // A token for the next form, made after login: it must be from the rotated secret.
  return new HttpResponse(getToken(request));
}

const routes = [
  path('whoami/', whoami),
  path('form/', (request) => new HttpResponse(getToken(request))),
  path('login/', logInView),
  path('logout/', (request) => {
    logout(request);
    return new JsonResponse({ anonymous: request.user.isAnonymous });
  }),
  path('remember/', (request) => {
    request.session.set('cart', ['swing']);
    return new HttpResponse('kept');
  }),
  path('cart/', (request) => new JsonResponse(request.session.get('cart') ?? null)),
  path('plain/', () => new HttpResponse('the user is never read')),
];

describe.each(STACKS)('AuthenticationMiddleware in %s', (stack) => {
  let served: Served;
  let backend: MemberBackend;
  let store: MemorySessionStore;

  async function start(extra: Partial<Settings> = {}): Promise<void> {
    await served?.close();
    backend = new MemberBackend([ada, grace, new HashedMember(3, 'hedy', 'lamarr')]);
    store = new MemorySessionStore();
    served = await serve({
      ROOT_URLCONF: routes,
      SECRET_KEY: 'auth-tests',
      SESSION_STORE: store,
      AUTHENTICATION_BACKENDS: [backend],
      ...inStack(stack, SessionMiddleware, CsrfViewMiddleware, AuthenticationMiddleware),
      ...extra,
    });
  }

  beforeEach(() => start());
  afterAll(() => served.close());

  async function loggedIn(username: string, password: string): Promise<Browser> {
    const browser = new Browser(served.url);
    const token = (await browser.get('/form/')).text;
    const response = await browser.post('/login/', { username, password, csrfmiddlewaretoken: token });
    expect(response.status).toBe(200);
    return browser;
  }

  it('gives an anonymous request the AnonymousUser, as Django does', async () => {
    const response = await new Browser(served.url).get('/whoami/');
    expect(JSON.parse(response.text)).toEqual({
      authenticated: false,
      anonymous: true,
      pk: null,
      username: '',
    });
    expect(String(new AnonymousUser())).toBe('AnonymousUser');
  });

  it('login() rotates the session key and the CSRF secret, and the next request has the user', async () => {
    const browser = new Browser(served.url);
    const token = (await browser.get('/form/')).text;
    await browser.get('/remember/');
    const sessionBefore = browser.cookies.get('sessionid')!;
    const csrfBefore = browser.cookies.get('csrftoken')!;

    const response = await browser.post('/login/', {
      username: 'ada',
      password: 'lovelace',
      csrfmiddlewaretoken: token,
    });
    expect(response.status).toBe(200);
    expect(response.setCookies.get('sessionid')).toBeDefined();
    expect(response.setCookies.get('csrftoken')).toBeDefined();
    expect(browser.cookies.get('sessionid')).not.toBe(sessionBefore);
    expect(browser.cookies.get('csrftoken')).not.toBe(csrfBefore);
    // The old session key is forgotten, its data kept under the new one (Django's cycle_key()).
    expect((await browser.get('/cart/')).text).toBe('["swing"]');
    expect(await store.load(sessionBefore.split(':')[0]!)).toBeNull();

    expect(JSON.parse((await browser.get('/whoami/')).text)).toEqual({
      authenticated: true,
      anonymous: false,
      pk: 1,
      username: 'ada',
    });
    // The token seen before login no longer passes; the one handed out after does.
    const stale = await browser.post('/logout/', { csrfmiddlewaretoken: token });
    expect(stale.status).toBe(403);
    expect((await browser.post('/logout/', { csrfmiddlewaretoken: response.text })).status).toBe(200);
  });

  it('a session fixed by an attacker is useless: the victim logs in under a new key', async () => {
    const attacker = new Browser(served.url);
    await attacker.get('/remember/');
    const fixed = attacker.cookies.get('sessionid')!;
    const victim = new Browser(served.url);
    victim.cookies.set('sessionid', fixed);
    const token = (await victim.get('/form/')).text;
    await victim.post('/login/', { username: 'ada', password: 'lovelace', csrfmiddlewaretoken: token });
    expect(victim.cookies.get('sessionid')).not.toBe(fixed);
    expect(JSON.parse((await attacker.get('/whoami/')).text).authenticated).toBe(false);
  });

  it('logging in as someone else empties the session first; the same user again keeps the key', async () => {
    const browser = await loggedIn('ada', 'lovelace');
    await browser.get('/remember/');
    const adaSession = browser.cookies.get('sessionid');
    const token = (await browser.get('/form/')).text;
    await browser.post('/login/', { username: 'ada', password: 'lovelace', csrfmiddlewaretoken: token });
    expect(browser.cookies.get('sessionid')).toBe(adaSession);
    expect((await browser.get('/cart/')).text).toBe('["swing"]');

    const again = (await browser.get('/form/')).text;
    await browser.post('/login/', { username: 'grace', password: 'hopper', csrfmiddlewaretoken: again });
    expect(browser.cookies.get('sessionid')).not.toBe(adaSession);
    expect((await browser.get('/cart/')).text).toBe('null');
    expect(JSON.parse((await browser.get('/whoami/')).text).username).toBe('grace');
  });

  it('logout() flushes the session, drops its cookie and sets the anonymous user', async () => {
    const browser = await loggedIn('grace', 'hopper');
    const key = browser.cookies.get('sessionid')!.split(':')[0]!;
    const token = (await browser.get('/form/')).text;
    const response = await browser.post('/logout/', { csrfmiddlewaretoken: token });
    expect(JSON.parse(response.text)).toEqual({ anonymous: true });
    expect(response.setCookies.get('sessionid')).toMatch(/^sessionid=; Max-Age=0;/);
    expect(browser.cookies.get('sessionid')).toBeUndefined();
    expect(await store.load(key)).toBeNull();
    expect(JSON.parse((await browser.get('/whoami/')).text).authenticated).toBe(false);
  });

  it('adds Vary: Cookie only to responses that read request.user', async () => {
    const browser = await loggedIn('ada', 'lovelace');
    expect((await browser.get('/whoami/')).headers.vary).toBe('Cookie');
    const plain = await browser.get('/plain/');
    expect(plain.headers.vary).toBeUndefined();
    expect(plain.headers['set-cookie']).toBeUndefined();
  });

  it('works with an async backend, looked up once per request', async () => {
    backend = new MemberBackend([ada], { async: true });
    await start({ AUTHENTICATION_BACKENDS: [backend] });
    const browser = await loggedIn('ada', 'lovelace');
    expect(JSON.parse((await browser.get('/whoami/')).text).username).toBe('ada');
  });

  it('a user the backend no longer has, or a backend no longer listed, is anonymous', async () => {
    const browser = await loggedIn('grace', 'hopper');
    backend.members.splice(backend.members.indexOf(grace), 1);
    expect(JSON.parse((await browser.get('/whoami/')).text).authenticated).toBe(false);
    backend.members.push(grace);
    expect(JSON.parse((await browser.get('/whoami/')).text).authenticated).toBe(true);
    served.app.settings.AUTHENTICATION_BACKENDS = [new MemberBackend([grace], { name: 'other' })];
    expect(JSON.parse((await browser.get('/whoami/')).text).authenticated).toBe(false);
  });

  it("a password change ends the user's sessions (getSessionAuthHash), flushing them", async () => {
    const browser = await loggedIn('hedy', 'lamarr');
    expect(JSON.parse((await browser.get('/whoami/')).text).username).toBe('hedy');
    (backend.members[2] as HashedMember).password = 'changed';
    const response = await browser.get('/whoami/');
    expect(JSON.parse(response.text).authenticated).toBe(false);
    expect(response.setCookies.get('sessionid')).toMatch(/^sessionid=; Max-Age=0;/);
  });

  it('a wrong password authenticates nobody and leaves the session alone', async () => {
    const browser = new Browser(served.url);
    const token = (await browser.get('/form/')).text;
    const response = await browser.post('/login/', {
      username: 'ada',
      password: 'x',
      csrfmiddlewaretoken: token,
    });
    expect(response.status).toBe(400);
    expect(response.setCookies.has('sessionid')).toBe(false);
  });

  it('without SessionMiddleware before it, every request is a 500 naming SessionMiddleware', async () => {
    await start(inStack(stack, AuthenticationMiddleware, SessionMiddleware));
    const response = await new Browser(served.url).get('/whoami/');
    expect(response.status).toBe(500);
    expect(served.logger.at('error')).toEqual(['Internal Server Error: /whoami/']);
    const logged = served.logger.lines[0]!.error;
    expect(logged).toBeInstanceOf(ImproperlyConfigured);
    expect((logged as Error).message).toBe(
      'AuthenticationMiddleware needs SessionMiddleware: list SessionMiddleware before AuthenticationMiddleware in MIDDLEWARE (or MIDDLEWARE_CLASSES)',
    );
  });
});

describe('authenticate()', () => {
  function requestWith(backends: AuthBackend[]): HttpRequest {
    return new RequestFactory(createApp({ ROOT_URLCONF: [], AUTHENTICATION_BACKENDS: backends })).get('/');
  }

  it('tries the backends in order and returns the first user found', async () => {
    const first = new MemberBackend([], { name: 'first' });
    const second = new MemberBackend([grace], { name: 'second' });
    const user = await authenticate(requestWith([first, second]), { username: 'grace', password: 'hopper' });
    expect(user).toBe(grace);
    expect(first.tried).toHaveLength(1);
  });

  it('stops at a backend that raises PermissionDenied: nobody is authenticated', async () => {
    const refusing: AuthBackend = {
      name: 'refusing',
      authenticate: () => {
        throw new PermissionDenied('locked out');
      },
      getUser: () => null,
    };
    const later = new MemberBackend([grace], { name: 'later' });
    expect(
      await authenticate(requestWith([refusing, later]), { username: 'grace', password: 'hopper' }),
    ).toBeNull();
    expect(later.tried).toHaveLength(0);
  });

  it('skips a backend without authenticate() (one that only gives users back)', async () => {
    const lookupOnly: AuthBackend = { name: 'lookup', getUser: () => null };
    const user = await authenticate(requestWith([lookupOnly, new MemberBackend([ada])]), {
      username: 'ada',
      password: 'lovelace',
    });
    expect(user).toBe(ada);
  });
});

describe('login() without a backend to record', () => {
  async function loginWith(settings: Partial<Settings>, view: (request: HttpRequest) => HttpResponse) {
    const served = await serve({
      ROOT_URLCONF: [path('in/', view)],
      SECRET_KEY: 'k',
      MIDDLEWARE: [SessionMiddleware, AuthenticationMiddleware],
      ...settings,
    });
    try {
      const response = await new Browser(served.url).get('/in/');
      return { status: response.status, error: served.logger.lines[0]?.error as Error | undefined };
    } finally {
      await served.close();
    }
  }

  const logAdaIn = (request: HttpRequest) => {
    login(request, ada);
    return new HttpResponseRedirect('/');
  };

  it('uses the only backend configured', async () => {
    expect((await loginWith({ AUTHENTICATION_BACKENDS: [new MemberBackend([ada])] }, logAdaIn)).status).toBe(
      302,
    );
  });

  it('is ImproperlyConfigured with no backend, or several and none chosen', async () => {
    const none = await loginWith({}, logAdaIn);
    expect(none.status).toBe(500);
    expect(none.error).toBeInstanceOf(ImproperlyConfigured);
    const several = await loginWith(
      {
        AUTHENTICATION_BACKENDS: [
          new MemberBackend([ada], { name: 'a' }),
          new MemberBackend([], { name: 'b' }),
        ],
      },
      logAdaIn,
    );
    expect(several.error?.message).toMatch(/several AUTHENTICATION_BACKENDS/);
  });

  it('refuses a backend that is not in AUTHENTICATION_BACKENDS', async () => {
    const listed = new MemberBackend([ada], { name: 'listed' });
    const result = await loginWith({ AUTHENTICATION_BACKENDS: [listed] }, (request) => {
      login(request, ada, new MemberBackend([ada], { name: 'stranger' }));
      return new HttpResponse('in');
    });
    expect(result.error?.message).toMatch(/stranger, which is not in AUTHENTICATION_BACKENDS/);
  });
});

describe('request.user without AuthenticationMiddleware', () => {
  it('throws ImproperlyConfigured when read, and holds what you assign, as a plain attribute', () => {
    const request = new RequestFactory().get('/');
    expect(() => request.user).toThrow(ImproperlyConfigured);
    expect(() => request.user).toThrow(/request.user is set by AuthenticationMiddleware/);
    request.user = ada;
    expect(request.user).toBe(ada);
  });
});
