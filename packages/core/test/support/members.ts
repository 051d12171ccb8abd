import { createHash } from 'node:crypto';
import type { AuthBackend, AuthUser, Credentials, HttpRequest } from '@manouche/core';

// Users of the tests' own type, as a project brings its own: `request.user` is typed from the fields
// declared on AuthUser (see the declaration below), without casts.

declare module '@manouche/core' {
  interface AuthUser {
    readonly username: string;
  }
}

/** A user of the tests: a class of the project's own, with what AuthUser asks for. */
export class Member implements AuthUser {
  readonly isAuthenticated = true as const;
  readonly isAnonymous = false as const;
  readonly pk: number;
  readonly username: string;
  password: string;

  constructor(pk: number, username: string, password: string) {
    this.pk = pk;
    this.username = username;
    this.password = password;
  }
}

/** A member whose sessions end when the password changes (Django's `get_session_auth_hash()`). */
export class HashedMember extends Member {
  getSessionAuthHash(): string {
    return createHash('sha256').update(`session:${this.password}`).digest('hex');
  }
}

/** A backend over a list of members; `async` makes both methods answer with promises. */
export class MemberBackend implements AuthBackend {
  readonly members: Member[];
  readonly name: string | undefined;
  readonly async: boolean;
  /** Every `authenticate()` call, in order. */
  readonly tried: Credentials[] = [];

  constructor(members: Member[], options: { name?: string; async?: boolean } = {}) {
    this.members = members;
    this.name = options.name;
    this.async = options.async ?? false;
  }

  authenticate(
    _request: HttpRequest | null,
    credentials: Credentials,
  ): Member | null | Promise<Member | null> {
    this.tried.push(credentials);
    const found =
      this.members.find(
        (member) => member.username === credentials.username && member.password === credentials.password,
      ) ?? null;
    return this.async ? Promise.resolve(found) : found;
  }

  getUser(pk: AuthUser['pk']): Member | null | Promise<Member | null> {
    const found = this.members.find((member) => member.pk === pk) ?? null;
    return this.async ? Promise.resolve(found) : found;
  }
}
