import type { Db } from './db';
import { checkPassword, hashPassword } from './passwords';

export interface Post {
  id: number;
  title: string;
  slug: string;
  body: string;
  author: string;
  created_at: string;
}

export interface Comment {
  id: number;
  post_id: number;
  author: string;
  body: string;
  created_at: string;
}

export interface User {
  id: number;
  username: string;
}

/** Longest title, comment and post body the forms accept. */
export const LIMITS = { title: 200, body: 20_000, comment: 2_000, author: 50 } as const;

/** The blog's queries, on one better-sqlite3 connection (synchronous, so no await in here). */
export class BlogModels {
  readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  countPosts(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM posts').get() as { n: number }).n;
  }

  /** Newest first. */
  listPosts(limit: number, offset: number): Post[] {
    return this.db
      .prepare('SELECT * FROM posts ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?')
      .all(limit, offset) as Post[];
  }

  getPost(id: number): Post | null {
    return (this.db.prepare('SELECT * FROM posts WHERE id = ?').get(id) as Post | undefined) ?? null;
  }

  createPost(fields: { title: string; body: string; author: string }): Post {
    const slug = this.#uniqueSlug(slugify(fields.title));
    const createdAt = new Date().toISOString();
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO posts (title, slug, body, author, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(fields.title, slug, fields.body, fields.author, createdAt);
    return this.getPost(Number(lastInsertRowid))!;
  }

  /** The post's comments, oldest first; with `since`, only those with a greater id. */
  listComments(postId: number, since = 0): Comment[] {
    return this.db
      .prepare('SELECT * FROM comments WHERE post_id = ? AND id > ? ORDER BY id')
      .all(postId, since) as Comment[];
  }

  createComment(fields: { postId: number; author: string; body: string }): Comment {
    const createdAt = new Date().toISOString();
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO comments (post_id, author, body, created_at) VALUES (?, ?, ?, ?)')
      .run(fields.postId, fields.author, fields.body, createdAt);
    return this.db.prepare('SELECT * FROM comments WHERE id = ?').get(Number(lastInsertRowid)) as Comment;
  }

  getUser(id: number): User | null {
    return (
      (this.db.prepare('SELECT id, username FROM users WHERE id = ?').get(id) as User | undefined) ?? null
    );
  }

  /** The user when the username and password match, else `null` (Django's `authenticate`). */
  authenticate(username: string, password: string): User | null {
    const row = this.db
      .prepare('SELECT id, username, password_hash FROM users WHERE username = ?')
      .get(username) as (User & { password_hash: string }) | undefined;
    if (row === undefined) {
      // Spend the same time as a real check, so a missing user can't be told apart by timing.
      checkPassword(password, DUMMY_HASH);
      return null;
    }
    return checkPassword(password, row.password_hash) ? { id: row.id, username: row.username } : null;
  }

  createUser(username: string, password: string): User {
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO users (username, password_hash) VALUES (?, ?)')
      .run(username, hashPassword(password));
    return { id: Number(lastInsertRowid), username };
  }

  #uniqueSlug(base: string): string {
    const taken = this.db.prepare('SELECT 1 FROM posts WHERE slug = ?');
    let slug = base;
    for (let n = 2; taken.get(slug) !== undefined; n++) slug = `${base}-${n}`;
    return slug;
  }
}

const DUMMY_HASH = hashPassword('not a real password', Buffer.alloc(16));

/** Django's `slugify`: ASCII letters, digits and hyphens. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, '')
    .trim()
    .replace(/[\s-]+/g, '-');
  return slug === '' ? 'post' : slug.slice(0, 80);
}
