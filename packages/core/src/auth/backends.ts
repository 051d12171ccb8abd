import { ImproperlyConfigured, PermissionDenied } from '../exceptions';
import type { MaybePromise } from '../handler/sync';
import type { HttpRequest } from '../http/request';
import { authBackendName } from '../settings';
import type { AuthUser } from './users';

/** What `authenticate()` is given: a username and password, a token... whatever your backends read. */
export type Credentials = Readonly<Record<string, unknown>>;

/**
 * Django's authentication backend: where users come from. List instances in
 * `AUTHENTICATION_BACKENDS`; `authenticate()` tries them in order. Either method may be async.
 *
 * ```ts
 * class AccountBackend implements AuthBackend {
 *   async authenticate(request, { username, password }) { ... return user or null }
 *   async getUser(id) { return accounts.byId(id) }
 * }
 * ```
 */
export interface AuthBackend {
  /**
   * How the session names this backend (Django stores its dotted path); default: its class name.
   * Renaming it logs out the users it logged in, as in Django.
   */
  readonly name?: string;
  /**
   * The user these credentials identify, or `null` when they don't (wrong password, or credentials
   * this backend doesn't handle: the next backend is tried). Throwing `PermissionDenied` stops the
   * search: nobody is authenticated.
   */
  authenticate?(request: HttpRequest | null, credentials: Credentials): MaybePromise<AuthUser | null>;
  /** The user with this primary key (what `login()` stored), or `null` when there is none anymore. */
  getUser(pk: AuthUser['pk']): MaybePromise<AuthUser | null>;
}

declare module '../settings' {
  interface Settings {
    /** Django's `AUTHENTICATION_BACKENDS`, as instances: tried in order by `authenticate()`. */
    AUTHENTICATION_BACKENDS?: readonly AuthBackend[];
  }
}

// Django sets `user.backend`; a side table keeps user objects as their backends made them.
const authenticatedBy = new WeakMap<object, AuthBackend>();

/**
 * Django's `authenticate()`: asks each of `AUTHENTICATION_BACKENDS` in turn and resolves to the first
 * user one returns, or `null` when none does (or one throws `PermissionDenied`). `login()` then knows
 * which backend the user came from.
 */
export async function authenticate(request: HttpRequest, credentials: Credentials): Promise<AuthUser | null> {
  for (const backend of backendsOf(request)) {
    if (backend.authenticate === undefined) continue;
    let user: AuthUser | null;
    try {
      user = await backend.authenticate(request, credentials);
    } catch (error) {
      if (error instanceof PermissionDenied) return null;
      throw error;
    }
    if (user === null || user === undefined) continue;
    authenticatedBy.set(user, backend);
    return user;
  }
  return null;
}

/** The backends of the request's application (none outside one). */
export function backendsOf(request: HttpRequest): readonly AuthBackend[] {
  return request.app?.settings.AUTHENTICATION_BACKENDS ?? [];
}

/** The configured backend the session names, or `undefined` when it is no longer configured. */
export function backendNamed(request: HttpRequest, name: string): AuthBackend | undefined {
  return backendsOf(request).find((backend) => authBackendName(backend) === name);
}

/**
 * The backend `login()` records for `user`: the one given, else the one of this application's that
 * authenticated it, else the only one configured. Django raises `ValueError` where this throws `ImproperlyConfigured`.
 */
export function backendForLogin(request: HttpRequest, user: AuthUser, given?: AuthBackend): AuthBackend {
  const backends = backendsOf(request);
  const remembered = authenticatedBy.get(user);
  const backend =
    given ??
    (remembered !== undefined && backends.includes(remembered) ? remembered : undefined) ??
    (backends.length === 1 ? backends[0] : undefined);
  if (backend === undefined) {
    throw new ImproperlyConfigured(
      backends.length === 0
        ? 'login() needs AUTHENTICATION_BACKENDS: the session must name the backend that gives the user back'
        : 'You have several AUTHENTICATION_BACKENDS: pass login() the backend, or a user that authenticate() returned',
    );
  }
  if (!backends.includes(backend)) {
    throw new ImproperlyConfigured(
      `login() was given the backend ${authBackendName(backend)}, which is not in AUTHENTICATION_BACKENDS: the user would not be found again`,
    );
  }
  return backend;
}
