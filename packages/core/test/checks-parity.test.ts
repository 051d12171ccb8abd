import {
  CsrfViewMiddleware,
  HttpResponse,
  KNOWN_SETTINGS,
  path,
  runChecks,
  SessionMiddleware,
  SignedCookieSessionStore,
  type HttpRequest,
  type Settings,
  type UrlConfModule,
} from '@manouche/core';

const urlpatterns = [path('', () => new HttpResponse('ok'), { name: 'home' })];

function ids(settings: Settings): string[] {
  return runChecks(settings).map((message) => message.id);
}

describe('manouche check and the Django parity settings', () => {
  const parity: Partial<Settings> = {
    CSRF_COOKIE_DOMAIN: '.example.com',
    CSRF_USE_SESSIONS: false,
    CSRF_FAILURE_VIEW: (_request: HttpRequest, reason: string) => new HttpResponse(reason, { status: 403 }),
    CSRF_TRUSTED_ORIGINS: ['https://*.example.com'],
    SESSION_EXPIRE_AT_BROWSER_CLOSE: true,
    SESSION_COOKIE_AGE: 3600,
    SESSION_STORE: new SignedCookieSessionStore(),
  };

  it('knows every new setting: none is reported as unknown or invalid', () => {
    for (const name of Object.keys(parity)) expect(KNOWN_SETTINGS).toContain(name);
    expect(ids({ ROOT_URLCONF: urlpatterns, ...parity })).toEqual([]);
  });

  it('suggests the right name for a typo of a new setting', () => {
    expect(runChecks({ ROOT_URLCONF: urlpatterns, CSRF_USE_SESSION: true }).map((m) => m.message)).toEqual([
      'Unknown setting CSRF_USE_SESSION; did you mean CSRF_USE_SESSIONS?',
    ]);
  });

  it('reports a mistyped new setting (E001)', () => {
    const mistyped = {
      ROOT_URLCONF: urlpatterns,
      SESSION_EXPIRE_AT_BROWSER_CLOSE: 'yes',
    } as unknown as Settings;
    expect(ids(mistyped)).toEqual(['manouche.E001']);
  });

  it('accepts a URL conf module as ROOT_URLCONF', () => {
    expect(
      ids({ ROOT_URLCONF: { urlpatterns, handler404: (_request, _exception) => new HttpResponse('') } }),
    ).toEqual([]);
  });
});

describe('manouche.E008: CSRF_USE_SESSIONS without SessionMiddleware before CsrfViewMiddleware', () => {
  it('is an error when SessionMiddleware is missing or after', () => {
    expect(
      ids({ ROOT_URLCONF: urlpatterns, CSRF_USE_SESSIONS: true, MIDDLEWARE: [CsrfViewMiddleware] }),
    ).toEqual(['manouche.E008']);
    const after = runChecks({
      ROOT_URLCONF: urlpatterns,
      CSRF_USE_SESSIONS: true,
      SECRET_KEY: 'x',
      MIDDLEWARE_CLASSES: [CsrfViewMiddleware, SessionMiddleware],
    });
    expect(after.map((message) => message.message)).toEqual([
      'CsrfViewMiddleware is in MIDDLEWARE_CLASSES before SessionMiddleware, but CSRF_USE_SESSIONS keeps the CSRF secret in the session: every request fails with 500',
    ]);
  });

  it('is quiet with SessionMiddleware first, or without CSRF_USE_SESSIONS', () => {
    const stack = { SECRET_KEY: 'x', MIDDLEWARE: [SessionMiddleware, CsrfViewMiddleware] };
    expect(ids({ ROOT_URLCONF: urlpatterns, CSRF_USE_SESSIONS: true, ...stack })).toEqual([]);
    expect(ids({ ROOT_URLCONF: urlpatterns, MIDDLEWARE: [CsrfViewMiddleware] })).toEqual([]);
  });
});

describe('manouche.E009: a custom error view that takes more parameters than it is given', () => {
  it('names the view and the signature Django calls it with', () => {
    const handler404 = (_request: HttpRequest, _exception: unknown, _extra: string) => new HttpResponse('');
    const handler500 = (_request: HttpRequest, _exception: unknown) => new HttpResponse('');
    const conf = { urlpatterns, handler404, handler500 } as unknown as UrlConfModule;
    expect(runChecks({ ROOT_URLCONF: conf }).map((message) => message.message)).toEqual([
      'The custom handler404 view handler404 takes 3 parameters; it is called with (request, exception)',
      'The custom handler500 view handler500 takes 2 parameters; it is called with (request)',
    ]);
  });

  it('reports a handler that is not a function as E004, the error createApp throws', () => {
    const conf = { urlpatterns, handler403: 'views.denied' } as unknown as UrlConfModule;
    expect(ids({ ROOT_URLCONF: conf })).toEqual(['manouche.E004']);
  });
});
