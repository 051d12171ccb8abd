import type { Logger } from '../log';
import type { ResolvedSettings } from '../settings';
import type { RawHeaderValue } from './headers';
import type { UpgradeContext } from './upgrade-context';

/** What the URL resolver found for a request (Django's `request.resolver_match`). */
export interface ResolverMatch {
  /** The view that will run (Django's `func`). */
  readonly view: (...args: never[]) => unknown;
  /** The converted URL parameters. */
  readonly params: Record<string, unknown>;
  /** The same object as `params`, under Django's name. */
  readonly kwargs: Record<string, unknown>;
  /** Positional arguments: always empty (routes capture named parameters only). */
  readonly args: readonly unknown[];
  /** The URL pattern's own name, without namespaces (`detail`), or `null`. */
  readonly urlName: string | null;
  /** The name to reverse, namespaces included (`blog:detail`); `null` when the pattern has no name. */
  readonly viewName: string | null;
  /** The namespaces of the `include()`s the route sits in, outermost first (`['blog']`). */
  readonly namespaces: readonly string[];
  /** `namespaces` joined with `:` (`blog`, `blog:api`), `''` outside any namespace. */
  readonly namespace: string;
  /**
   * The application namespaces: an `include()`'s namespace is its application namespace too, as in
   * Django's `include((patterns, app_name))`.
   */
  readonly appNames: readonly string[];
  /** `appNames` joined with `:`. */
  readonly appName: string;
  /** The route as written, prefixes included (`blog/posts/<int:id>/`). */
  readonly route: string;
}

/** The application-wide state a request can reach (set by `Application.handle`). */
export interface RequestApp {
  readonly settings: ResolvedSettings;
  /** The compiled URL conf (`CommonMiddleware` asks it whether `path + '/'` resolves). */
  readonly resolver: { match(path: string): unknown };
  /** Where log lines go: `settings.LOGGER`, else stderr. */
  readonly logger: Logger;
  /** Registers work for the application's `close()` (the WebSocket package closes its sockets there). */
  onClose(hook: () => Promise<void> | void): void;
}

/** How to build an `HttpRequest` without a socket (the test client and request factory use this). */
export interface HttpRequestInit {
  method?: string;
  /** The decoded path, starting with `/`. */
  path?: string;
  /** The raw query string, without `?`. */
  queryString?: string;
  /** Header names in any case. */
  headers?: Record<string, RawHeaderValue>;
  body?: Buffer | string;
  scheme?: 'http' | 'https';
  remoteAddress?: string;
  serverPort?: number;
  upgrade?: UpgradeContext | null;
  /** The protocol the request came in (`META.SERVER_PROTOCOL`): `HTTP/1.1` unless said otherwise. */
  serverProtocol?: 'HTTP/1.1' | 'HTTP/2.0';
  /** The header names are already lower case (Node's parser guarantees it): skips the check. */
  headersAreLowerCase?: boolean;
}
