import type { AuthBackend, AuthUser, Credentials, HttpRequest } from '@manouche/core';
import type { BlogModels, User } from './models';

// What the blog's users have besides what core asks for: declared once on core's `AuthUser`, so
// `request.user.username` is typed in every view and middleware (no casts). The login itself,
// `request.user`, `loginRequired` and the `next` checks are core's (Django's `django.contrib.auth`).
declare module '@manouche/core' {
  interface AuthUser {
    readonly username: string;
  }
}

/** A logged-in blog user: a row of the `users` table, with what `AuthUser` asks for. */
export class BlogUser implements AuthUser {
  readonly isAuthenticated = true as const;
  readonly isAnonymous = false as const;
  readonly id: number;
  readonly username: string;

  constructor(row: User) {
    this.id = row.id;
    this.username = row.username;
  }

  get pk(): number {
    return this.id;
  }
}

/**
 * The blog's `AUTHENTICATION_BACKENDS` entry (Django's `ModelBackend`, over SQLite): a username and a
 * password that match a row of `users` (scrypt hashes, see `passwords.ts`), and the user by id.
 */
export class BlogBackend implements AuthBackend {
  /** What the session records (Django records the backend's dotted path). */
  readonly name = 'blog.auth.BlogBackend';
  readonly #models: BlogModels;

  constructor(models: BlogModels) {
    this.#models = models;
  }

  authenticate(_request: HttpRequest | null, { username, password }: Credentials): BlogUser | null {
    if (typeof username !== 'string' || typeof password !== 'string') return null;
    const row = this.#models.authenticate(username, password);
    return row === null ? null : new BlogUser(row);
  }

  getUser(pk: AuthUser['pk']): BlogUser | null {
    if (typeof pk !== 'number') return null;
    const row = this.#models.getUser(pk);
    return row === null ? null : new BlogUser(row);
  }
}
