import {
  createApp,
  HttpResponse,
  include,
  MiddlewareMixin,
  path,
  runChecks,
  SessionMiddleware,
  type CheckMessage,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { WebSocketMiddleware } from '@manouche/websocket';
import { collectChecks } from '../src/checks';
import { levenshtein } from '../src/checks/settings';

const view = (): HttpResponse => new HttpResponse('ok');

/** Settings that pass every check; each test breaks one thing. */
function valid(overrides: Partial<Settings> = {}): Settings {
  return { ROOT_URLCONF: [path('', view, { name: 'home' })], ...overrides };
}

function ids(settings: Settings): string[] {
  return runChecks(settings).map((message) => message.id);
}

function only(settings: Settings, id: string): CheckMessage {
  const found = runChecks(settings).filter((message) => message.id === id);
  expect(found).toHaveLength(1);
  return found[0]!;
}

class Passthrough {
  constructor(private readonly getResponse: (request: HttpRequest) => Promise<HttpResponse>) {}
  call(request: HttpRequest): Promise<HttpResponse> {
    return this.getResponse(request);
  }
}

class LegacyHeader {
  processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
    return response;
  }
}

describe('runChecks()', () => {
  it('finds nothing wrong with valid settings', () => {
    expect(runChecks(valid())).toEqual([]);
  });

  describe('manouche.E001: the settings fail validation', () => {
    it('reports the ImproperlyConfigured message createApp() would throw', () => {
      const settings = valid({ DEBUG: 'yes' as unknown as boolean });
      let thrown = '';
      try {
        createApp(settings);
      } catch (error) {
        thrown = (error as Error).message;
      }
      const message = only(settings, 'manouche.E001');
      expect(message.level).toBe('error');
      expect(message.message).toBe(thrown);
      expect(message.message).toContain('DEBUG');
    });

    it('reports a missing ROOT_URLCONF', () => {
      expect(only({} as Settings, 'manouche.E001').message).toMatch(/ROOT_URLCONF setting is required/);
    });

    it('reports a SILENCED_SYSTEM_CHECKS that is not an array of ids', () => {
      expect(
        only(valid({ SILENCED_SYSTEM_CHECKS: 'W002' as unknown as string[] }), 'manouche.E001').message,
      ).toMatch(/SILENCED_SYSTEM_CHECKS/);
    });

    it('reports a settings value that is not an object instead of throwing', () => {
      expect(ids(null as unknown as Settings)).toEqual(['manouche.E001']);
    });
  });

  it('reports a middleware entry without a prototype instead of throwing', () => {
    const settings = { ROOT_URLCONF: [], MIDDLEWARE_CLASSES: [Object.create(null)] } as unknown as Settings;
    expect(() => runChecks(settings)).not.toThrow();
  });

  describe('manouche.W001: both MIDDLEWARE and MIDDLEWARE_CLASSES', () => {
    it('warns that MIDDLEWARE_CLASSES is ignored even when MIDDLEWARE is empty', () => {
      const message = only(valid({ MIDDLEWARE: [], MIDDLEWARE_CLASSES: [LegacyHeader] }), 'manouche.W001');
      expect(message.level).toBe('warning');
      expect(message.message).toMatch(/MIDDLEWARE wins.*MIDDLEWARE_CLASSES is ignored/);
    });

    it('warns alongside E001 when both lists are non-empty (createApp refuses that)', () => {
      expect(ids(valid({ MIDDLEWARE: [Passthrough], MIDDLEWARE_CLASSES: [LegacyHeader] }))).toEqual(
        expect.arrayContaining(['manouche.E001', 'manouche.W001']),
      );
    });

    it('is quiet when MIDDLEWARE is null, which selects the legacy stack', () => {
      expect(ids(valid({ MIDDLEWARE: null, MIDDLEWARE_CLASSES: [LegacyHeader] }))).toEqual([]);
    });
  });

  describe('manouche.E002: WEBSOCKET_ACCEPT_ALL without WebSocketMiddleware', () => {
    it('is an error when the active stack lacks WebSocketMiddleware', () => {
      const message = only(valid({ WEBSOCKET_ACCEPT_ALL: true, MIDDLEWARE: [] }), 'manouche.E002');
      expect(message.level).toBe('error');
      expect(message.message).toContain('WebSocketMiddleware');
    });

    it('recognises WebSocketMiddleware and its subclasses in either list', () => {
      class MyWebSocketMiddleware extends WebSocketMiddleware {}
      expect(ids(valid({ WEBSOCKET_ACCEPT_ALL: true, MIDDLEWARE: [WebSocketMiddleware] }))).toEqual([]);
      expect(ids(valid({ WEBSOCKET_ACCEPT_ALL: true, MIDDLEWARE: [MyWebSocketMiddleware] }))).toEqual([]);
      expect(ids(valid({ WEBSOCKET_ACCEPT_ALL: true, MIDDLEWARE_CLASSES: [WebSocketMiddleware] }))).toEqual(
        [],
      );
    });

    it('recognises a class carrying the manouche.websocketMiddleware marker', () => {
      const marker: unique symbol = Symbol.for('manouche.websocketMiddleware');
      class Handshakes extends MiddlewareMixin {
        static [marker] = true;
      }
      expect(ids(valid({ WEBSOCKET_ACCEPT_ALL: true, MIDDLEWARE: [Handshakes] }))).toEqual([]);
    });

    it('ignores WebSocketMiddleware in MIDDLEWARE_CLASSES when MIDDLEWARE is the active stack', () => {
      expect(
        ids(valid({ WEBSOCKET_ACCEPT_ALL: true, MIDDLEWARE: [], MIDDLEWARE_CLASSES: [WebSocketMiddleware] })),
      ).toContain('manouche.E002');
    });
  });

  describe('manouche.W002: unknown settings that look like typos', () => {
    it('warns once per setting within two edits of a known one', () => {
      expect(
        runChecks(valid({ DEBUGG: true, APPEND_SLSH: false, SECRET_KY: 'x' })).map((m) => m.message),
      ).toEqual([
        'Unknown setting DEBUGG; did you mean DEBUG?',
        'Unknown setting APPEND_SLSH; did you mean APPEND_SLASH?',
        'Unknown setting SECRET_KY; did you mean SECRET_KEY?',
      ]);
    });

    it('names the setting and the suggestion', () => {
      expect(runChecks(valid({ ALLOWED_HOST: ['x'] }))).toEqual([
        expect.objectContaining({
          level: 'warning',
          id: 'manouche.W002',
          message: 'Unknown setting ALLOWED_HOST; did you mean ALLOWED_HOSTS?',
        }),
      ]);
    });

    it('leaves your own settings alone', () => {
      expect(ids(valid({ BLOG_DATABASE: 'x.sqlite3', MY_SETTING: 1, debugg: true }))).toEqual([]);
    });

    it('measures distance in edits', () => {
      expect(levenshtein('DEBUGG', 'DEBUG')).toBe(1);
      expect(levenshtein('SECRET_KY', 'SECRET_KEY')).toBe(1);
      expect(levenshtein('abc', 'xyz')).toBe(3);
    });
  });

  describe('manouche.W003: duplicate URL names', () => {
    it('names the routes that share a name, prefixes and namespaces included', () => {
      const settings = valid({
        ROOT_URLCONF: [
          include(
            'blog/',
            [path('posts/<int:id>/', view, { name: 'post' }), path('/p/:id', view, { name: 'post' })],
            {
              namespace: 'blog',
            },
          ),
          path('post/', view, { name: 'post' }),
        ],
      });
      const message = only(settings, 'manouche.W003');
      expect(message.level).toBe('warning');
      expect(message.message).toBe(
        "The URL name 'blog:post' is used by 2 routes: 'blog/posts/<int:id>/', 'blog/p/:id'",
      );
    });
  });

  describe('manouche.W004 and manouche.E003: middleware shape', () => {
    it('warns about a MIDDLEWARE_CLASSES class that defines no hook (W004)', () => {
      class DoesNothing {}
      class MixinWithoutHooks extends MiddlewareMixin {}
      const messages = runChecks(
        valid({ MIDDLEWARE_CLASSES: [DoesNothing, MixinWithoutHooks, LegacyHeader] }),
      );
      expect(messages.map((message) => [message.id, message.message.split(' ')[0]])).toEqual([
        ['manouche.W004', 'DoesNothing'],
        ['manouche.W004', 'MixinWithoutHooks'],
      ]);
    });

    it('reports a MIDDLEWARE class without call() as an error (E003)', () => {
      const message = only(valid({ MIDDLEWARE: [LegacyHeader as never] }), 'manouche.E003');
      expect(message.level).toBe('error');
      expect(message.message).toBe('LegacyHeader in MIDDLEWARE has no call(request) method');
    });

    it('accepts MIDDLEWARE classes with call(), MiddlewareMixin subclasses and factories', () => {
      class Mixin extends MiddlewareMixin {}
      const factory =
        (getResponse: (request: HttpRequest) => Promise<HttpResponse>) => (request: HttpRequest) =>
          getResponse(request);
      expect(ids(valid({ MIDDLEWARE: [Passthrough, Mixin, factory] }))).toEqual([]);
    });
  });

  describe('manouche.W005: DEBUG with ALLOWED_HOSTS = ["*"]', () => {
    it('warns when DEBUG is on for every host', () => {
      expect(only(valid({ DEBUG: true, ALLOWED_HOSTS: ['*'] }), 'manouche.W005').level).toBe('warning');
    });

    it('is quiet with DEBUG off or a list of hosts', () => {
      expect(ids(valid({ DEBUG: false, ALLOWED_HOSTS: ['*'] }))).toEqual([]);
      expect(ids(valid({ DEBUG: true, ALLOWED_HOSTS: ['localhost'] }))).toEqual([]);
    });
  });

  describe('manouche.E004: the URL conf does not compile', () => {
    it('reports the compile error createApp() would throw', () => {
      const message = only(valid({ ROOT_URLCONF: [path('<foo:id>/', view)] }), 'manouche.E004');
      expect(message.level).toBe('error');
      expect(message.message).toMatch(/^ROOT_URLCONF does not compile: .*invalid converter "foo"/);
    });
  });

  describe('manouche.E005: SessionMiddleware without SECRET_KEY', () => {
    it('is an error when the active stack has SessionMiddleware and SECRET_KEY is unset', () => {
      expect(only(valid({ MIDDLEWARE: [SessionMiddleware] }), 'manouche.E005').message).toMatch(
        /SessionMiddleware is in MIDDLEWARE but SECRET_KEY is not set/,
      );
    });

    it('is quiet once SECRET_KEY is set', () => {
      expect(ids(valid({ MIDDLEWARE: [SessionMiddleware], SECRET_KEY: 'k'.repeat(50) }))).toEqual([]);
    });
  });

  describe('manouche.W006: empty ALLOWED_HOSTS', () => {
    it('warns that every request would be refused', () => {
      expect(only(valid({ ALLOWED_HOSTS: [] }), 'manouche.W006').message).toMatch(/every request is refused/);
    });
  });

  describe('manouche.W007: the same middleware listed twice', () => {
    it('warns once per repeated class', () => {
      expect(
        only(valid({ MIDDLEWARE: [Passthrough, Passthrough, Passthrough] }), 'manouche.W007').message,
      ).toBe('Passthrough is listed more than once in MIDDLEWARE, so it runs more than once per request');
    });
  });

  describe('SILENCED_SYSTEM_CHECKS', () => {
    it('leaves out the listed ids, by full id or bare code, and counts them', () => {
      const settings = valid({ DEBUGG: true, DEBUG: true, ALLOWED_HOSTS: ['*'] });
      expect(ids(settings).sort()).toEqual(['manouche.W002', 'manouche.W005']);
      expect(ids({ ...settings, SILENCED_SYSTEM_CHECKS: ['manouche.W002', 'W005'] })).toEqual([]);
      expect(collectChecks({ ...settings, SILENCED_SYSTEM_CHECKS: ['manouche.W002'] }).silenced).toBe(1);
    });
  });
});
