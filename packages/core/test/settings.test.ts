import {
  createApp,
  defineSettings,
  HttpResponse,
  ImproperlyConfigured,
  MiddlewareMixin,
  path,
  type Settings,
} from '@manouche/core';
import { Client } from '@manouche/testing';

const ok = (): HttpResponse => new HttpResponse('ok');
const urls = [path('', ok)];

class Passthrough extends MiddlewareMixin {}

/** The error `createApp(settings)` throws, or a failure when it throws nothing. */
function configurationError(settings: Settings): ImproperlyConfigured {
  try {
    createApp(settings);
  } catch (error) {
    expect(error).toBeInstanceOf(ImproperlyConfigured);
    return error as ImproperlyConfigured;
  }
  throw new Error(`createApp accepted ${JSON.stringify(Object.keys(settings))}`);
}

describe('settings validation at createApp', () => {
  // Each row: a setting and values of the wrong type or range for it.
  const wrong: Array<[string, unknown[]]> = [
    ['ROOT_URLCONF', ['urls', {}, 42, null]],
    ['MIDDLEWARE', ['x', [42], [null], {}]],
    ['MIDDLEWARE_CLASSES', [null, 'x', [42], [{}]]],
    ['DEBUG', ['true', 1, null]],
    ['ALLOWED_HOSTS', ['localhost', [1], null, [null]]],
    ['APPEND_SLASH', ['yes', 0]],
    ['DISALLOWED_USER_AGENTS', ['BadBot', ['BadBot'], /BadBot/, null]],
    ['DATA_UPLOAD_MAX_MEMORY_SIZE', [0, -1, 1.5, '1024', Infinity, NaN, null]],
    ['DATA_UPLOAD_MAX_NUMBER_FIELDS', [0, -5, 2.5, '100']],
    [
      'TEMPLATES',
      ['nunjucks', {}, [42], [{}], [{ BACKEND: 'nunjucks' }], [{ BACKEND: class {}, DIRS: 'x' }]],
    ],
    ['LOGGER', ['stderr', {}, { info: () => undefined }, null]],
    ['SECURE_PROXY_SSL_HEADER', ['X-Forwarded-Proto', ['X-Forwarded-Proto'], ['a', 'b', 'c'], [1, 2]]],
    ['USE_X_FORWARDED_HOST', ['true']],
    ['SECURE_CONTENT_TYPE_NOSNIFF', [1]],
    ['SECURE_HSTS_SECONDS', [-1, 1.5, '3600']],
    ['SECURE_HSTS_INCLUDE_SUBDOMAINS', ['yes']],
    ['SECURE_HSTS_PRELOAD', ['yes']],
    ['SECURE_REFERRER_POLICY', [1, false]],
    ['SECURE_CROSS_ORIGIN_OPENER_POLICY', [1, false]],
    ['SECURE_SSL_REDIRECT', ['yes']],
    ['X_FRAME_OPTIONS', ['ALLOW', 'allow-from x', 1]],
    ['WEBSOCKET_ACCEPT_ALL', ['yes', 1]],
    ['WEBSOCKET_ALLOWED_ORIGINS', ['*', [1]]],
    ['WEBSOCKET_MAX_MESSAGE_SIZE', [0, -1, 1.5]],
    ['WEBSOCKET_PING_INTERVAL', [-1, 1.5, '20000']],
    ['WEBSOCKET_PER_MESSAGE_DEFLATE', ['yes']],
    ['WEBSOCKET_MAX_BUFFERED', [0, -1, 1.5, '1048576']],
    ['WEBSOCKET_CLOSE_TIMEOUT', [0, -1, 1.5, '5000']],
  ];

  it.each(wrong)('refuses a wrong %s with ImproperlyConfigured naming the setting', (name, values) => {
    for (const value of values) {
      const settings: Settings = { ROOT_URLCONF: urls, [name]: value };
      expect(configurationError(settings).message).toContain(name);
    }
  });

  it.each([
    ['SECURE_SSL_HOST', [42, ['secure.example.com'], true]],
    ['SECURE_REDIRECT_EXEMPT', ['^health/$', [42], ['(unclosed'], null]],
    ['SILENCED_SYSTEM_CHECKS', ['manouche.W002', [42], null]],
  ])('refuses a wrong %s at createApp, not per request', (name, values) => {
    for (const value of values) {
      const settings: Settings = { ROOT_URLCONF: urls, [name]: value };
      expect(configurationError(settings).message).toContain(name);
    }
  });

  it('accepts every setting it knows at its own default', () => {
    const app = createApp({ ROOT_URLCONF: urls });
    expect(() => createApp({ ...app.settings })).not.toThrow();
  });

  it('requires ROOT_URLCONF and names it', () => {
    const error = configurationError({} as Settings);
    expect(error.message).toContain('ROOT_URLCONF');
  });

  it('refuses a settings value that is not an object', () => {
    expect(() => createApp(null as unknown as Settings)).toThrow(ImproperlyConfigured);
  });

  it('names ROOT_URLCONF when one of its entries is not a path() or include()', () => {
    const error = configurationError({ ROOT_URLCONF: [42] as unknown as Settings['ROOT_URLCONF'] });
    expect(error.message).toContain('ROOT_URLCONF');
  });

  it('refuses both middleware stacks non-empty, naming both settings', () => {
    const error = configurationError({
      ROOT_URLCONF: urls,
      MIDDLEWARE: [Passthrough],
      MIDDLEWARE_CLASSES: [Passthrough],
    });
    expect(error.message).toContain('MIDDLEWARE');
    expect(error.message).toContain('MIDDLEWARE_CLASSES');
  });

  it('accepts both middleware settings when one of them is empty', () => {
    expect(
      createApp({ ROOT_URLCONF: urls, MIDDLEWARE: [], MIDDLEWARE_CLASSES: [Passthrough] }).middlewareMode,
    ).toBe('MIDDLEWARE');
    expect(
      createApp({ ROOT_URLCONF: urls, MIDDLEWARE: [Passthrough], MIDDLEWARE_CLASSES: [] }).middlewareMode,
    ).toBe('MIDDLEWARE');
  });

  it('selects the legacy stack only when MIDDLEWARE is undefined or null', () => {
    expect(createApp({ ROOT_URLCONF: urls }).middlewareMode).toBe('MIDDLEWARE_CLASSES');
    expect(createApp({ ROOT_URLCONF: urls, MIDDLEWARE: null }).middlewareMode).toBe('MIDDLEWARE_CLASSES');
    expect(createApp({ ROOT_URLCONF: urls, MIDDLEWARE: [] }).middlewareMode).toBe('MIDDLEWARE');
  });

  it('accepts every setting at a valid non-default value', () => {
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    expect(() =>
      createApp({
        ROOT_URLCONF: urls,
        MIDDLEWARE: null,
        MIDDLEWARE_CLASSES: [Passthrough],
        DEBUG: true,
        ALLOWED_HOSTS: ['*'],
        APPEND_SLASH: false,
        DATA_UPLOAD_MAX_MEMORY_SIZE: 1,
        DATA_UPLOAD_MAX_NUMBER_FIELDS: 1,
        TEMPLATES: [],
        LOGGER: logger,
        SECURE_PROXY_SSL_HEADER: ['HTTP_X_FORWARDED_PROTO', 'https'],
        USE_X_FORWARDED_HOST: true,
        SECURE_CONTENT_TYPE_NOSNIFF: false,
        SECURE_HSTS_SECONDS: 3600,
        SECURE_HSTS_INCLUDE_SUBDOMAINS: true,
        SECURE_HSTS_PRELOAD: true,
        SECURE_REFERRER_POLICY: null,
        SECURE_CROSS_ORIGIN_OPENER_POLICY: null,
        SECURE_SSL_REDIRECT: true,
        X_FRAME_OPTIONS: 'SAMEORIGIN',
        WEBSOCKET_ACCEPT_ALL: true,
        WEBSOCKET_ALLOWED_ORIGINS: ['https://example.com'],
        WEBSOCKET_MAX_MESSAGE_SIZE: 10,
        WEBSOCKET_PING_INTERVAL: 0,
        WEBSOCKET_PER_MESSAGE_DEFLATE: true,
        WEBSOCKET_MAX_BUFFERED: 65_536,
        WEBSOCKET_CLOSE_TIMEOUT: 1000,
      }),
    ).not.toThrow();
  });
});

describe('settings defaults', () => {
  it('fills in the documented defaults', () => {
    const { settings } = createApp({ ROOT_URLCONF: urls });
    expect(settings.MIDDLEWARE).toBeUndefined();
    expect(settings.MIDDLEWARE_CLASSES).toEqual([]);
    expect(settings.DEBUG).toBe(false);
    expect(settings.ALLOWED_HOSTS).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(settings.WEBSOCKET_ACCEPT_ALL).toBe(false);
    expect(settings.APPEND_SLASH).toBe(true);
    expect(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).toBe(2_621_440);
    expect(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS).toBe(1000);
    expect(settings.TEMPLATES).toEqual([]);
    expect(settings.USE_X_FORWARDED_HOST).toBe(false);
    expect(settings.X_FRAME_OPTIONS).toBe('DENY');
    expect(settings.WEBSOCKET_MAX_MESSAGE_SIZE).toBe(1_048_576);
    expect(settings.WEBSOCKET_PING_INTERVAL).toBe(20_000);
    expect(settings.WEBSOCKET_PER_MESSAGE_DEFLATE).toBe(false);
    expect(settings.WEBSOCKET_MAX_BUFFERED).toBe(1_048_576);
    expect(settings.WEBSOCKET_CLOSE_TIMEOUT).toBe(5000);
  });

  it('keeps the values given and the project’s own settings, without changing the object passed', () => {
    const given = defineSettings({ ROOT_URLCONF: urls, DEBUG: true, SITE_NAME: 'blog' });
    const app = createApp(given);
    expect(app.settings.DEBUG).toBe(true);
    expect(app.settings.SITE_NAME).toBe('blog');
    expect(Object.keys(given).sort()).toEqual(['DEBUG', 'ROOT_URLCONF', 'SITE_NAME']);
  });

  it('gives every application its own copy of an array default', () => {
    const first = createApp({ ROOT_URLCONF: urls });
    const second = createApp({ ROOT_URLCONF: urls });
    first.settings.ALLOWED_HOSTS.push('example.com');
    expect(second.settings.ALLOWED_HOSTS).toEqual(['localhost', '127.0.0.1', '[::1]']);
  });

  it('serves a request from the default ALLOWED_HOSTS for localhost and refuses another host', async () => {
    const app = createApp({ ROOT_URLCONF: urls, LOGGER: { info() {}, warn() {}, error() {} } });
    const client = new Client(app);
    const local = await client.get('/', undefined, { headers: { host: 'localhost:8000' } });
    const foreign = await client.get('/', undefined, { headers: { host: 'example.com' } });
    expect(local.statusCode).toBe(200);
    expect(foreign.statusCode).toBe(400);
  });
});
