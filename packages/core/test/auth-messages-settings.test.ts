import {
  AuthenticationMiddleware,
  CookieStorage,
  createApp,
  ImproperlyConfigured,
  KNOWN_SETTINGS,
  MessageMiddleware,
  path,
  HttpResponse,
  runChecks,
  SessionMiddleware,
  SessionStorage,
  type AuthBackend,
  type Settings,
} from '@manouche/core';
import { MemberBackend } from './support/members';

const urls = [path('', () => new HttpResponse('home'))];

function settings(extra: Partial<Settings>): Settings {
  return { ROOT_URLCONF: urls, SECRET_KEY: 'k'.repeat(50), ...extra };
}

function createError(extra: Partial<Settings>): string {
  try {
    createApp(settings(extra));
  } catch (error) {
    expect(error).toBeInstanceOf(ImproperlyConfigured);
    return (error as Error).message;
  }
  return '';
}

describe('the auth and messages settings', () => {
  it("have Django's defaults", () => {
    const { settings: resolved } = createApp(settings({}));
    expect(resolved.LOGIN_URL).toBe('/accounts/login/');
    expect(resolved.LOGIN_REDIRECT_URL).toBe('/accounts/profile/');
    expect(resolved.LOGOUT_REDIRECT_URL).toBeUndefined();
    expect(resolved.AUTHENTICATION_BACKENDS).toEqual([]);
    expect(resolved.MESSAGE_LEVEL).toBe(20);
    expect(resolved.MESSAGE_TAGS).toEqual({});
    expect(resolved.MESSAGE_MAX_STORED).toBe(100);
    expect(resolved.MESSAGE_STORAGE).toBeUndefined();
  });

  it('are known to manouche check', () => {
    expect(KNOWN_SETTINGS).toEqual(
      expect.arrayContaining([
        'AUTHENTICATION_BACKENDS',
        'LOGIN_URL',
        'LOGIN_REDIRECT_URL',
        'LOGOUT_REDIRECT_URL',
        'MESSAGE_STORAGE',
        'MESSAGE_LEVEL',
        'MESSAGE_TAGS',
        'MESSAGE_MAX_STORED',
      ]),
    );
    expect(runChecks(settings({ LOGIN_ULR: '/in/' })).map((found) => found.message)).toEqual([
      'Unknown setting LOGIN_ULR; did you mean LOGIN_URL?',
    ]);
  });

  it('refuses backends without getUser(), or two backends the session could not tell apart', () => {
    expect(createError({ AUTHENTICATION_BACKENDS: [{} as AuthBackend] })).toMatch(
      /^The AUTHENTICATION_BACKENDS setting must be an array of authentication backends/,
    );
    expect(createError({ AUTHENTICATION_BACKENDS: [new MemberBackend([]), new MemberBackend([])] })).toMatch(
      /each with its own name/,
    );
    expect(
      createError({
        AUTHENTICATION_BACKENDS: [new MemberBackend([], { name: 'a' }), new MemberBackend([], { name: 'b' })],
      }),
    ).toBe('');
  });

  it('refuses a MESSAGE_STORAGE that is not a class, and MESSAGE_TAGS keyed by anything but levels', () => {
    expect(createError({ MESSAGE_STORAGE: 'cookie' as never })).toMatch(/MESSAGE_STORAGE setting must be/);
    expect(createError({ MESSAGE_TAGS: { error: 'danger' } as never })).toMatch(
      /MESSAGE_TAGS setting must be/,
    );
    expect(createError({ MESSAGE_LEVEL: 2.5 })).toMatch(/MESSAGE_LEVEL setting must be an integer/);
    expect(createError({ LOGIN_URL: '' })).toMatch(/LOGIN_URL setting must be a path or a URL name/);
  });
});

describe('manouche.E006: AuthenticationMiddleware needs SessionMiddleware before it', () => {
  it.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)(
    'is an error in %s without it, or with it after',
    (list) => {
      const without = runChecks(settings({ [list]: [AuthenticationMiddleware] }));
      expect(without).toEqual([
        {
          level: 'error',
          id: 'manouche.E006',
          message: `AuthenticationMiddleware is in ${list} without SessionMiddleware, but request.user is read from the session: every request fails with 500`,
          hint: `Insert SessionMiddleware before AuthenticationMiddleware in ${list}.`,
        },
      ]);
      const after = runChecks(settings({ [list]: [AuthenticationMiddleware, SessionMiddleware] }));
      expect(after.map((found) => found.message)).toEqual([
        `AuthenticationMiddleware is in ${list} before SessionMiddleware, but request.user is read from the session: every request fails with 500`,
      ]);
      expect(runChecks(settings({ [list]: [SessionMiddleware, AuthenticationMiddleware] }))).toEqual([]);
    },
  );

  it('knows a subclass by its ancestry', () => {
    class TokenAuthentication extends AuthenticationMiddleware {}
    expect(runChecks(settings({ MIDDLEWARE: [TokenAuthentication] })).map((found) => found.id)).toEqual([
      'manouche.E006',
    ]);
  });
});

describe('manouche.E007: MessageMiddleware with a session-based storage needs SessionMiddleware before it', () => {
  it('is an error for the default storage and for SessionStorage, not for CookieStorage', () => {
    expect(runChecks(settings({ MIDDLEWARE: [MessageMiddleware] })).map((found) => found.message)).toEqual([
      'MessageMiddleware is in MIDDLEWARE without SessionMiddleware, but its storage (FallbackStorage, the default) keeps messages in the session: every request fails with 500',
    ]);
    expect(
      runChecks(settings({ MIDDLEWARE: [MessageMiddleware], MESSAGE_STORAGE: SessionStorage })).map(
        (found) => found.id,
      ),
    ).toEqual(['manouche.E007']);
    expect(runChecks(settings({ MIDDLEWARE: [MessageMiddleware], MESSAGE_STORAGE: CookieStorage }))).toEqual(
      [],
    );
    expect(runChecks(settings({ MIDDLEWARE_CLASSES: [SessionMiddleware, MessageMiddleware] }))).toEqual([]);
  });
});
