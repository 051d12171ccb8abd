import { join } from 'node:path';
import {
  AccessLogMiddleware,
  AuthenticationMiddleware,
  CommonMiddleware,
  CsrfViewMiddleware,
  MessageMiddleware,
  NunjucksTemplates,
  SecurityMiddleware,
  SessionMiddleware,
  XFrameOptionsMiddleware,
  type Settings,
} from '@manouche/core';
import { WebSocketMiddleware } from '@manouche/websocket';

/**
 * The blog's settings, less what `createBlogApp` adds per application (URL conf, session store,
 * authentication backend).
 */
export type BlogSettings = Omit<Settings, 'ROOT_URLCONF'> & {
  /** The SQLite file (`':memory:'` for a throwaway one). Default: env `BLOG_DATABASE`, else `blog.sqlite3`. */
  BLOG_DATABASE?: string;
};

/** The templates, read in place from `examples/blog/templates` (next to `src` and `dist`). */
export const TEMPLATES_DIR = join(__dirname, '..', 'templates');

/** Used when env `BLOG_SECRET_KEY` is unset. Fine on your machine; set your own anywhere else. */
export const DEVELOPMENT_SECRET_KEY = 'manouche-blog-development-key-do-not-use-in-production';

/**
 * The middleware, outermost first: Django's `startproject` list, then the WebSocket handshakes and the
 * access log. Every one is a `MiddlewareMixin`, so both lists can use them.
 */
export const BLOG_MIDDLEWARE = [
  SecurityMiddleware,
  SessionMiddleware,
  CommonMiddleware,
  CsrfViewMiddleware,
  AuthenticationMiddleware,
  MessageMiddleware,
  XFrameOptionsMiddleware,
  WebSocketMiddleware,
  AccessLogMiddleware,
];

/** `2026-01-05T10:00:00.000Z` -> `2026-01-05 10:00 UTC`, for the templates (`{{ post.created_at | datetime }}`). */
export function formatDateTime(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match === null ? iso : `${match[1]} ${match[2]} UTC`;
}

/** `BLOG_DEBUG=1` (or `true`) turns on DEBUG: error pages with traces, templates re-read. */
export function debugFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'true', 'yes', 'on'].includes((env.BLOG_DEBUG ?? '').toLowerCase());
}

/** The blog under `MIDDLEWARE`, the new-style (onion) stack: the default. */
export const settings: BlogSettings = {
  DEBUG: debugFromEnv(),
  // The local hosts only: no '*', so a WebSocket from a foreign Origin gets 403.
  ALLOWED_HOSTS: ['localhost', '127.0.0.1', '[::1]'],
  SECRET_KEY: process.env.BLOG_SECRET_KEY || DEVELOPMENT_SECRET_KEY,
  MIDDLEWARE: BLOG_MIDDLEWARE,
  TEMPLATES: [
    { BACKEND: NunjucksTemplates, DIRS: [TEMPLATES_DIR], OPTIONS: { filters: { datetime: formatDateTime } } },
  ],
  APPEND_SLASH: true,
  // URL names, as Django allows: reversed against the blog's URL conf.
  LOGIN_URL: 'login',
  LOGIN_REDIRECT_URL: 'post-list',
  LOGOUT_REDIRECT_URL: 'post-list',
};

export default settings;
