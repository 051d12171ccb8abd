import type { Application, Logger } from '@manouche/core';
import type { Client } from '@manouche/testing';
import { createBlogApp } from '../src/app';
import { SEEDED_USER } from '../src/db';
import { settings as modern, type BlogSettings } from '../src/settings';
import { settings as legacy } from '../src/settings-legacy';

/** Both settings files: every behaviour is checked under MIDDLEWARE and under MIDDLEWARE_CLASSES. */
export const SETTINGS: Array<[string, BlogSettings]> = [
  ['settings (MIDDLEWARE)', modern],
  ['settings-legacy (MIDDLEWARE_CLASSES + WEBSOCKET_ACCEPT_ALL)', legacy],
];

/** Keeps the test output clean: the access log and the 4xx warnings go nowhere. */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A blog on a fresh in-memory database, seeded. */
export function makeApp(base: BlogSettings, overrides: Partial<BlogSettings> = {}): Application {
  return createBlogApp({ BLOG_DATABASE: ':memory:', LOGGER: silentLogger, ...overrides }, base);
}

/** The CSRF token a page hands its forms (and the cookie it sets on the client). */
export async function csrfTokenFrom(client: Client, path = '/'): Promise<string> {
  const response = await client.get(path);
  const token = response.context?.csrf_token;
  if (typeof token !== 'string')
    throw new Error(`${path} gave no csrf_token (status ${response.statusCode})`);
  return token;
}

/** Logs the client in as the seeded user, through the login form. */
export async function logIn(client: Client): Promise<void> {
  const token = await csrfTokenFrom(client, '/login/');
  const response = await client.post('/login/', {
    username: SEEDED_USER.username,
    password: SEEDED_USER.password,
    csrfmiddlewaretoken: token,
  });
  if (response.statusCode !== 302) throw new Error(`login failed with ${response.statusCode}`);
}

/** Waits (up to `limitMs`) until `condition()` holds; for state another connection changes. */
export async function waitFor(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
