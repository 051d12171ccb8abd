import { createApp, ImproperlyConfigured, type Application } from '@manouche/core';
import { InMemoryChannelLayer, type ChannelLayer } from '@manouche/websocket';
import { BlogBackend } from './auth';
import { attachBlog, Blog, blogOf } from './blog';
import { DEFAULT_DATABASE, openDatabase } from './db';
import { settings as modernSettings, type BlogSettings } from './settings';
import { settings as legacySettings } from './settings-legacy';
import { blogUrls } from './views';

/** The settings named by env `BLOG_SETTINGS`: `legacy` for `settings-legacy.ts`, else `settings.ts`. */
export function settingsFor(name: string | undefined = process.env.BLOG_SETTINGS): BlogSettings {
  if (name === undefined || name === '' || name === 'default' || name === 'settings') return modernSettings;
  if (name === 'legacy' || name === 'settings-legacy') return legacySettings;
  throw new ImproperlyConfigured(`BLOG_SETTINGS must be "legacy" or unset, not ${JSON.stringify(name)}`);
}

/**
 * A blog application on its own database: `base` (default: per env `BLOG_SETTINGS`) with
 * `overrides` on top; its session store and authentication backend work on that blog's database.
 * The database is `overrides.BLOG_DATABASE`, else env `BLOG_DATABASE`, else
 * `examples/blog/blog.sqlite3`; it is migrated (and seeded) on first use.
 */
export function createBlogApp(
  overrides: Partial<BlogSettings> = {},
  base: BlogSettings = settingsFor(),
): Application {
  const merged: BlogSettings = { ...base, ...overrides };
  const filename = merged.BLOG_DATABASE ?? (process.env.BLOG_DATABASE || DEFAULT_DATABASE);
  const channels = (merged.CHANNEL_LAYER as ChannelLayer | null | undefined) ?? new InMemoryChannelLayer();
  const blog = new Blog(openDatabase(filename), channels);
  try {
    const app = createApp({
      SESSION_STORE: blog.sessions,
      AUTHENTICATION_BACKENDS: [new BlogBackend(blog.models)],
      ...merged,
      CHANNEL_LAYER: channels,
      BLOG_DATABASE: filename,
      ROOT_URLCONF: blogUrls(blog),
    } as BlogSettings & { ROOT_URLCONF: ReturnType<typeof blogUrls> });
    attachBlog(app, blog);
    return app;
  } catch (error) {
    blog.close();
    throw error;
  }
}

/** Closes the application (WebSockets get 1001, requests drain), then its database. */
export async function closeBlogApp(app: Application): Promise<void> {
  await app.close();
  blogOf(app).close();
}

export { blogOf };
