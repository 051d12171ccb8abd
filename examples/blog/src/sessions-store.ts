import type { SessionData, SessionStore } from '@manouche/core';
import type { Db } from './db';

/**
 * `SESSION_STORE` for the blog: sessions in the `sessions` table of the blog's SQLite database
 * (Django's `db` session engine). Expired rows are ignored when loaded and swept now and then.
 * better-sqlite3 answers synchronously, so the store does too: a request with a session keeps the
 * handler's same-tick path instead of waiting for promises that were settled all along.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #db: Db;
  #saves = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  load(key: string): SessionData | null {
    const row = this.#db.prepare('SELECT data, expires_at FROM sessions WHERE key = ?').get(key) as
      { data: string; expires_at: number } | undefined;
    if (row === undefined) return null;
    if (row.expires_at <= Date.now()) {
      this.delete(key);
      return null;
    }
    try {
      const data: unknown = JSON.parse(row.data);
      return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as SessionData) : null;
    } catch {
      return null;
    }
  }

  save(key: string, data: SessionData, expiresAt: Date): void {
    this.#db
      .prepare(
        `INSERT INTO sessions (key, data, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
      )
      .run(key, JSON.stringify(data), expiresAt.getTime());
    // Django leaves this to `clearsessions`; a blog this size can sweep every hundredth save.
    if (++this.#saves % 100 === 0) this.clearExpired();
  }

  delete(key: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE key = ?').run(key);
  }

  /** Removes expired sessions (Django's `clearsessions`); returns how many. */
  clearExpired(now: Date = new Date()): number {
    return this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now.getTime()).changes;
  }
}
