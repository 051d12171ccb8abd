/**
 * What Manouche needs of a logged-in user; declare the rest of your user type here and
 * `request.user` has it, without casts (interface merging, as for `RequestState`):
 *
 * ```ts
 * declare module '@manouche/core' {
 *   interface AuthUser {
 *     readonly username: string;
 *     readonly email: string;
 *   }
 * }
 *
 * if (request.user.isAuthenticated) request.user.email; // string
 * ```
 *
 * Your backends then return objects of that shape: a class of yours (`readonly isAuthenticated =
 * true as const`), or rows you decorate. `interface AuthUser extends Member {}` takes every member of
 * your own `Member` class at once.
 */
export interface AuthUser {
  /** The primary key: what the session remembers and `getUser()` receives back (a number or a string). */
  readonly pk: string | number;
  /** Always `true` for a user a backend returned (Django's `is_authenticated`). */
  readonly isAuthenticated: true;
  /** Always `false` for a user a backend returned (Django's `is_anonymous`). */
  readonly isAnonymous: false;
  /**
   * Django's `get_session_auth_hash()`, optional: a value that changes with the password (an HMAC of
   * its hash). Stored at `login()`; a session whose stored value no longer matches is logged out, so
   * changing the password ends the other sessions.
   */
  getSessionAuthHash?(): string;
}

/**
 * Django's `AnonymousUser`: `request.user` when nobody is logged in. `isAuthenticated` is `false`,
 * so `if (request.user.isAuthenticated)` tells the two apart (and narrows the type).
 */
export class AnonymousUser {
  readonly id: null = null;
  readonly pk: null = null;
  readonly username: string = '';
  readonly isStaff: boolean = false;
  readonly isActive: boolean = false;
  readonly isSuperuser: boolean = false;
  readonly isAuthenticated = false as const;
  readonly isAnonymous = true as const;

  /** `''`, as Django's `get_username()`. */
  getUsername(): string {
    return this.username;
  }

  toString(): string {
    return 'AnonymousUser';
  }
}

/** The one anonymous user every request shares: frozen, so no request can leak state into another. */
export const ANONYMOUS_USER: AnonymousUser = Object.freeze(new AnonymousUser());

/** `request.user`: the logged-in user or the anonymous one. */
export type RequestUser = AuthUser | AnonymousUser;
