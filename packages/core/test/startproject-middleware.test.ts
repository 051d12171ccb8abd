import {
  authenticate,
  AuthenticationMiddleware,
  CommonMiddleware,
  CsrfViewMiddleware,
  getMessages,
  getToken,
  HttpResponse,
  HttpResponseRedirect,
  login,
  loginRedirectUrl,
  loginRequired,
  logout,
  MessageMiddleware,
  messages,
  path,
  SecurityMiddleware,
  SessionMiddleware,
  XFrameOptionsMiddleware,
  type HttpRequest,
} from '@manouche/core';
import { Browser } from './support/browser';
import { Member, MemberBackend } from './support/members';
import { serve, type Served } from './support/serve';
import { inStack, STACKS } from './support/stacks';

// settings.py of `django-admin startproject`, its MIDDLEWARE ported line by line.
const STARTPROJECT_MIDDLEWARE = [
  SecurityMiddleware, // 'django.middleware.security.SecurityMiddleware'
  SessionMiddleware, // 'django.contrib.sessions.middleware.SessionMiddleware'
  CommonMiddleware, // 'django.middleware.common.CommonMiddleware'
  CsrfViewMiddleware, // 'django.middleware.csrf.CsrfViewMiddleware'
  AuthenticationMiddleware, // 'django.contrib.auth.middleware.AuthenticationMiddleware'
  MessageMiddleware, // 'django.contrib.messages.middleware.MessageMiddleware'
  XFrameOptionsMiddleware, // 'django.middleware.clickjacking.XFrameOptionsMiddleware'
];

/** A page like a Django template's: who is logged in, then the messages, shown once. */
function page(request: HttpRequest, title: string): HttpResponse {
  const shown = [...getMessages(request)].map((message) => `<li class="${message.tags}">${message}</li>`);
  const who = request.user.isAuthenticated ? request.user.username : 'anonymous';
  return new HttpResponse(`<h1>${title}</h1><p>${who}</p><ul>${shown.join('')}</ul>`);
}

async function logInView(request: HttpRequest): Promise<HttpResponse> {
  if (request.method === 'GET') return new HttpResponse(getToken(request));
  const user = await authenticate(request, {
    username: request.POST.get('username'),
    password: request.POST.get('password'),
  });
  if (user === null) {
    messages.error(request, 'Please enter a correct username and password.');
    return new HttpResponseRedirect('/accounts/login/');
  }
  login(request, user);
  messages.success(request, `Welcome back, ${user.username}.`);
  return new HttpResponseRedirect(loginRedirectUrl(request));
}

const routes = [
  path('', (request) => page(request, 'Home')),
  path(
    'drafts/',
    loginRequired((request: HttpRequest) => page(request, 'Drafts')),
  ),
  path('accounts/login/', logInView),
  path('accounts/logout/', (request) => {
    logout(request);
    messages.info(request, 'See you soon.');
    return new HttpResponseRedirect('/');
  }),
];

describe.each(STACKS)("Django's startproject MIDDLEWARE, ported line by line, in %s", (stack) => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: routes,
      SECRET_KEY: 'startproject',
      AUTHENTICATION_BACKENDS: [new MemberBackend([new Member(1, 'ada', 'lovelace')])],
      LOGIN_REDIRECT_URL: '/',
      ...inStack(stack, ...STARTPROJECT_MIDDLEWARE),
    });
  });
  afterAll(() => served.close());

  it('runs a whole visit: login required, login with a message, the message once, logout', async () => {
    const browser = new Browser(served.url);
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    expect(home.text).toBe('<h1>Home</h1><p>anonymous</p><ul></ul>');
    expect(home.headers['x-frame-options']).toBe('DENY');
    expect(home.headers['x-content-type-options']).toBe('nosniff');

    const drafts = await browser.get('/drafts');
    expect([drafts.status, drafts.headers.location]).toEqual([301, '/drafts/']);
    const toLogin = await browser.get('/drafts/');
    expect([toLogin.status, toLogin.headers.location]).toEqual([302, '/accounts/login/?next=/drafts/']);

    const token = (await browser.get('/accounts/login/?next=/drafts/')).text;
    const wrong = await browser.post('/accounts/login/', {
      username: 'ada',
      password: 'x',
      csrfmiddlewaretoken: token,
    });
    expect(wrong.headers.location).toBe('/accounts/login/');
    expect((await browser.get('/')).text).toContain(
      '<li class="error">Please enter a correct username and password.</li>',
    );

    const loggedIn = await browser.post('/accounts/login/?next=/drafts/', {
      username: 'ada',
      password: 'lovelace',
      csrfmiddlewaretoken: token,
    });
    expect([loggedIn.status, loggedIn.headers.location]).toEqual([302, '/drafts/']);
    expect([...loggedIn.setCookies.keys()].sort()).toEqual(['csrftoken', 'messages', 'sessionid']);

    const landed = await browser.get('/drafts/');
    expect(landed.text).toBe('<h1>Drafts</h1><p>ada</p><ul><li class="success">Welcome back, ada.</li></ul>');
    expect(landed.headers.vary).toBe('Cookie');
    expect((await browser.get('/drafts/')).text).toBe('<h1>Drafts</h1><p>ada</p><ul></ul>');

    const refused = await browser.post('/accounts/logout/', { csrfmiddlewaretoken: token });
    expect(refused.status).toBe(403); // the token from before login was rotated away
    const fresh = (await browser.get('/accounts/login/')).text;
    const out = await browser.post('/accounts/logout/', { csrfmiddlewaretoken: fresh });
    expect(out.headers.location).toBe('/');
    expect(browser.cookies.get('sessionid')).toBeUndefined();
    expect((await browser.get('/')).text).toBe(
      '<h1>Home</h1><p>anonymous</p><ul><li class="info">See you soon.</li></ul>',
    );
  });
});
