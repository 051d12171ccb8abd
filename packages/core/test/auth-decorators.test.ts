import {
  authenticate,
  AuthenticationMiddleware,
  csrfExempt,
  HttpResponse,
  HttpResponseRedirect,
  login,
  loginRedirectUrl,
  loginRequired,
  logout,
  logoutRedirectUrl,
  path,
  requireGET,
  SessionMiddleware,
  userPassesTest,
  viewChain,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { WebSocketTestClient } from '@manouche/testing';
import { acceptWebsocket, WebSocketMiddleware } from '@manouche/websocket';
import { Browser } from './support/browser';
import { Member, MemberBackend } from './support/members';
import { serve, type Served } from './support/serve';
import { inStack, STACKS } from './support/stacks';

const ada = new Member(1, 'ada', 'lovelace');

function secret(request: HttpRequest, { id }: { id?: number }): HttpResponse {
  return new HttpResponse(`secret ${id} for ${request.user.username}`);
}

const chat = acceptWebsocket(async (request: HttpRequest) => {
  if (request.websocket === null) return new HttpResponse('plain chat page');
  await request.websocket.send(`hello ${request.user.username}`);
});

// The session is logged in through this view (no CSRF middleware in these stacks), with `next`.
async function logInView(request: HttpRequest): Promise<HttpResponse> {
  const user = await authenticate(request, { username: 'ada', password: 'lovelace' });
  login(request, user!);
  return new HttpResponseRedirect(loginRedirectUrl(request));
}

function logOutView(request: HttpRequest): HttpResponse {
  logout(request);
  const to = logoutRedirectUrl(request);
  return to === null ? new HttpResponse('logged out page') : new HttpResponseRedirect(to);
}

const routes = [
  path('posts/<int:id>/', loginRequired(secret)),
  path('named/', loginRequired({ loginUrl: 'sign-in', redirectFieldName: 'then' })(secret)),
  path('bare/', loginRequired({ redirectFieldName: null })(secret)),
  path('elsewhere/', loginRequired({ loginUrl: 'https://sso.example/login?app=blog' })(secret)),
  path('staff/', userPassesTest((user) => user.username === 'grace')(secret)),
  path('chat/', loginRequired(chat)),
  path('accounts/in/', csrfExempt(logInView), { name: 'sign-in' }),
  path('accounts/out/', csrfExempt(logOutView)),
];

describe.each(STACKS)('loginRequired and friends in %s', (stack) => {
  let served: Served;

  async function start(extra: Partial<Settings> = {}): Promise<void> {
    await served?.close();
    served = await serve({
      ROOT_URLCONF: routes,
      SECRET_KEY: 'decorators',
      AUTHENTICATION_BACKENDS: [new MemberBackend([ada])],
      ...inStack(stack, SessionMiddleware, AuthenticationMiddleware, WebSocketMiddleware),
      ...extra,
    });
  }

  beforeEach(() => start());
  afterAll(() => served.close());

  it('redirects an anonymous user to LOGIN_URL with ?next=, slashes kept, as redirect_to_login', async () => {
    const response = await new Browser(served.url).get('/posts/7/?page=2&q=a%20b');
    expect(response.status).toBe(302);
    // The query goes in as sent (Django's get_full_path()), then quoted whole: `%20` becomes `%2520`.
    expect(response.headers.location).toBe('/accounts/login/?next=/posts/7/%3Fpage%3D2%26q%3Da%2520b');
  });

  it('lets a logged-in user through, and the login view sends them back to next', async () => {
    const browser = new Browser(served.url);
    const back = await browser.get('/accounts/in/?next=/posts/7/');
    expect(back.headers.location).toBe('/posts/7/');
    expect((await browser.get('/posts/7/')).text).toBe('secret 7 for ada');
  });

  it('reads LOGIN_URL as a URL name too, and takes its own login URL and field name', async () => {
    await start({ LOGIN_URL: 'sign-in' });
    const browser = new Browser(served.url);
    expect((await browser.get('/posts/1/')).headers.location).toBe('/accounts/in/?next=/posts/1/');
    expect((await browser.get('/named/')).headers.location).toBe('/accounts/in/?then=/named/');
    expect((await browser.get('/bare/')).headers.location).toBe('/accounts/in/');
  });

  it('sends the whole URL as next to a login page on another host, keeping its query', async () => {
    const response = await new Browser(served.url).get('/elsewhere/');
    const next = `http://127.0.0.1:${served.port}/elsewhere/`;
    expect(response.headers.location).toBe(
      `https://sso.example/login?app=blog&next=${encodeURIComponent(next).replace(/%2F/g, '/')}`,
    );
  });

  it('userPassesTest() redirects when the test fails, logged in or not', async () => {
    const browser = new Browser(served.url);
    await browser.get('/accounts/in/');
    expect((await browser.get('/staff/')).headers.location).toBe('/accounts/login/?next=/staff/');
  });

  it('keeps a WebSocket view one: an anonymous handshake gets the 302, a logged-in one the socket', async () => {
    const anonymous = new WebSocketTestClient(`${served.wsUrl}/chat/`);
    const refused = await anonymous.connect();
    expect(refused).toMatchObject({ accepted: false, status: 302 });

    const browser = new Browser(served.url);
    await browser.get('/accounts/in/');
    const client = new WebSocketTestClient(`${served.wsUrl}/chat/`);
    const opened = await client.connect({ headers: { cookie: browser.cookies.header()! } });
    expect(opened.accepted).toBe(true);
    expect(await client.receive()).toBe('hello ada');
    await client.close();
    expect((await browser.get('/chat/')).text).toBe('plain chat page');
  });

  it('after login, goes to LOGIN_REDIRECT_URL (a path or a URL name) unless next is safe', async () => {
    const browser = new Browser(served.url);
    expect((await browser.get('/accounts/in/')).headers.location).toBe('/accounts/profile/');
    for (const next of [
      '//evil.example/',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const response = await browser.get(`/accounts/in/?next=${encodeURIComponent(next)}`);
      expect(response.headers.location).toBe('/accounts/profile/');
    }
    const own = `http://127.0.0.1:${served.port}/posts/2/`;
    expect((await browser.get(`/accounts/in/?next=${encodeURIComponent(own)}`)).headers.location).toBe(own);
    await start({ LOGIN_REDIRECT_URL: 'sign-in' });
    expect((await new Browser(served.url).get('/accounts/in/')).headers.location).toBe('/accounts/in/');
  });

  it('after logout, goes to a safe next, else LOGOUT_REDIRECT_URL, else nowhere (null)', async () => {
    const browser = new Browser(served.url);
    expect((await browser.get('/accounts/out/')).text).toBe('logged out page');
    expect((await browser.get('/accounts/out/?next=/posts/1/')).headers.location).toBe('/posts/1/');
    await start({ LOGOUT_REDIRECT_URL: '/bye/' });
    const again = new Browser(served.url);
    expect((await again.get('/accounts/out/?next=https://evil.example/')).headers.location).toBe('/bye/');
  });
});

describe('loginRequired as a decorator', () => {
  it('keeps the name and what other decorators recorded, and stacks with them', () => {
    function drafts(request: HttpRequest): HttpResponse {
      return new HttpResponse(request.user.username);
    }
    const decorated = loginRequired(requireGET(csrfExempt(drafts)));
    expect(decorated.name).toBe('drafts');
    expect([...viewChain(decorated)].at(-1)).toBe(drafts);
    expect((decorated as unknown as Record<symbol, unknown>)[Symbol.for('manouche.csrfExempt')]).toBe(true);
  });
});
