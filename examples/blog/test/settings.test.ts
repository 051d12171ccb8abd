import {
  AccessLogMiddleware,
  AuthenticationMiddleware,
  CommonMiddleware,
  CsrfViewMiddleware,
  MessageMiddleware,
  runChecks,
  SecurityMiddleware,
  SessionMiddleware,
  XFrameOptionsMiddleware,
} from '@manouche/core';
import { WebSocketMiddleware } from '@manouche/websocket';
import { settingsFor } from '../src/app';
import { BLOG_MIDDLEWARE, debugFromEnv, formatDateTime, settings } from '../src/settings';
import { settings as legacy } from '../src/settings-legacy';

describe('the settings files', () => {
  it('settings.ts uses MIDDLEWARE; settings-legacy.ts the same classes in MIDDLEWARE_CLASSES', () => {
    expect(settings.MIDDLEWARE).toBe(BLOG_MIDDLEWARE);
    expect(settings.MIDDLEWARE_CLASSES).toBeUndefined();
    expect(settings.WEBSOCKET_ACCEPT_ALL).toBeUndefined();
    expect(legacy.MIDDLEWARE).toBeUndefined();
    expect(legacy.MIDDLEWARE_CLASSES).toBe(BLOG_MIDDLEWARE);
    expect(legacy.WEBSOCKET_ACCEPT_ALL).toBe(true);
    // Django's startproject MIDDLEWARE, in its order, then the WebSocket handshakes and the access log.
    expect(BLOG_MIDDLEWARE).toEqual([
      SecurityMiddleware,
      SessionMiddleware,
      CommonMiddleware,
      CsrfViewMiddleware,
      AuthenticationMiddleware,
      MessageMiddleware,
      XFrameOptionsMiddleware,
      WebSocketMiddleware,
      AccessLogMiddleware,
    ]);
  });

  it('pass manouche check in both files', () => {
    for (const file of [settings, legacy]) expect(runChecks({ ...file, ROOT_URLCONF: [] })).toEqual([]);
  });

  it('allows the local hosts only', () => {
    for (const file of [settings, legacy]) {
      expect(file.ALLOWED_HOSTS).toEqual(['localhost', '127.0.0.1', '[::1]']);
      expect(file.WEBSOCKET_ALLOWED_ORIGINS).toBeUndefined();
    }
  });

  it('picks the file from BLOG_SETTINGS', () => {
    expect(settingsFor(undefined)).toBe(settings);
    expect(settingsFor('')).toBe(settings);
    expect(settingsFor('legacy')).toBe(legacy);
    expect(() => settingsFor('production')).toThrow(
      'BLOG_SETTINGS must be "legacy" or unset, not "production"',
    );
  });

  it('reads DEBUG from BLOG_DEBUG', () => {
    expect(debugFromEnv({})).toBe(false);
    expect(debugFromEnv({ BLOG_DEBUG: '1' })).toBe(true);
    expect(debugFromEnv({ BLOG_DEBUG: 'true' })).toBe(true);
    expect(debugFromEnv({ BLOG_DEBUG: '0' })).toBe(false);
  });

  it('formats dates for the templates', () => {
    expect(formatDateTime('2026-01-05T10:00:00.000Z')).toBe('2026-01-05 10:00 UTC');
    expect(formatDateTime(undefined)).toBe('');
  });
});
