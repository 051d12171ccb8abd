import { ImproperlyConfigured } from '@manouche/core';
import { InMemoryChannelLayer, type ChannelLayer } from '@manouche/websocket';
import type { Db } from './db';
import { CommentHub, ChatRooms } from './live';
import { BlogModels } from './models';
import { SqliteSessionStore } from './sessions-store';

/** Everything one blog application holds: its database, its queries and its live connections. */
export class Blog {
  readonly db: Db;
  readonly models: BlogModels;
  readonly sessions: SqliteSessionStore;
  /** The application's channel layer (its `CHANNEL_LAYER` setting). */
  readonly channels: ChannelLayer;
  readonly comments: CommentHub;
  readonly chat: ChatRooms;

  constructor(db: Db, channels: ChannelLayer = new InMemoryChannelLayer()) {
    this.db = db;
    this.channels = channels;
    this.comments = new CommentHub(channels);
    this.chat = new ChatRooms(channels);
    this.models = new BlogModels(db);
    this.sessions = new SqliteSessionStore(db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

const blogs = new WeakMap<object, Blog>();

/** Ties a blog to its application, so middleware (built by core) can find it from `request.app`. */
export function attachBlog(app: object, blog: Blog): void {
  blogs.set(app, blog);
}

/** The blog of an application (or of `request.app`). */
export function blogOf(app: object | null): Blog {
  const blog = app === null ? undefined : blogs.get(app);
  if (blog === undefined) throw new ImproperlyConfigured('This application was not made by createBlogApp()');
  return blog;
}
