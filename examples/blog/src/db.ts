import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashPassword } from './passwords';

export type Db = Database.Database;

/** Where the blog keeps its data unless `BLOG_DATABASE` says otherwise (next to package.json). */
export const DEFAULT_DATABASE = join(__dirname, '..', 'blog.sqlite3');

/** The seeded account, documented in the README. */
export const SEEDED_USER = { username: 'admin', password: 'manouche' } as const;

interface Migration {
  version: number;
  name: string;
  apply(db: Db): void;
}

/** Schema changes, applied once each, in order, inside one transaction per migration. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'schema',
    apply(db) {
      db.exec(`
        CREATE TABLE posts (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          title TEXT NOT NULL,
          slug TEXT NOT NULL UNIQUE,
          body TEXT NOT NULL,
          author TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX posts_created_at ON posts (created_at DESC, id DESC);
        CREATE TABLE comments (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
          author TEXT NOT NULL,
          body TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX comments_post ON comments (post_id, id);
        CREATE TABLE users (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          username TEXT NOT NULL UNIQUE,
          password_hash TEXT NOT NULL
        );
        CREATE TABLE sessions (
          key TEXT PRIMARY KEY,
          data TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX sessions_expires_at ON sessions (expires_at);
      `);
    },
  },
  {
    version: 2,
    name: 'seed',
    apply(db) {
      db.prepare('INSERT INTO users (username, password_hash) VALUES (?, ?)').run(
        SEEDED_USER.username,
        hashPassword(SEEDED_USER.password),
      );
      const insertPost = db.prepare(
        'INSERT INTO posts (title, slug, body, author, created_at) VALUES (?, ?, ?, ?, ?)',
      );
      const insertComment = db.prepare(
        'INSERT INTO comments (post_id, author, body, created_at) VALUES (?, ?, ?, ?)',
      );
      // Oldest first, so post 1 is the first one written; one day apart.
      const start = Date.parse('2026-01-05T10:00:00.000Z');
      SEED_POSTS.forEach(([title, slug, body], index) => {
        const createdAt = new Date(start + index * 86_400_000).toISOString();
        insertPost.run(title, slug, body, SEEDED_USER.username, createdAt);
      });
      insertComment.run(
        1,
        'stephane',
        'Welcome! The live comments work, open this page twice.',
        '2026-01-05T12:00:00.000Z',
      );
    },
  },
];

const SEED_POSTS: ReadonlyArray<[string, string, string]> = [
  [
    'Hello, Manouche',
    'hello-manouche',
    "This blog runs on Manouche: Django's request, response and middleware model for Node.js.\n\nEvery page goes through the same middleware stack as in Django: security headers, sessions, CSRF, authentication, WebSockets and an access log.",
  ],
  [
    'Live comments',
    'live-comments',
    'Open a post in two windows and add a comment in one: it appears in the other at once, pushed over a WebSocket. When the WebSocket cannot open, the page polls for new comments instead.',
  ],
  [
    'A chat room per post',
    'a-chat-room-per-post',
    'Below every post there is a small chat: messages go to everyone reading the same post, and the list of who is online updates as readers come and go.',
  ],
  [
    'Sessions in SQLite',
    'sessions-in-sqlite',
    'SessionMiddleware keeps its data wherever SESSION_STORE says. This blog keeps sessions in the same SQLite file as its posts.',
  ],
  [
    'Two middleware settings',
    'two-middleware-settings',
    'The same blog runs under MIDDLEWARE (the onion) and under MIDDLEWARE_CLASSES (the legacy stack, with WEBSOCKET_ACCEPT_ALL). Set BLOG_SETTINGS=legacy to try the second.',
  ],
  [
    'Minor swing',
    'minor-swing',
    'Recorded in 1937 by the Quintette du Hot Club de France. A good tune to test pagination with.',
  ],
  [
    'Nuages',
    'nuages',
    "Django Reinhardt's best-known composition, first recorded in 1940. This is the newest seeded post.",
  ],
];

/**
 * Opens (creating when needed) the blog's database and applies the migrations it lacks. `filename`
 * may be `':memory:'`.
 */
export function openDatabase(filename: string): Db {
  const db = new Database(filename);
  if (filename !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/** Applies every migration not yet in the `migrations` table; returns the versions applied. */
export function migrate(db: Db): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    (db.prepare('SELECT version FROM migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      migration.apply(db);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
    done.push(migration.version);
  }
  return done;
}
