import {
  defaultResponseForException,
  responseForException,
  type ConversionContext,
} from './handler/exception';
import { loadMiddleware, middlewareMode, type MiddlewareMode, type RequestHandler } from './handler/load';
import { isPromiseLike, isSettled, type MaybePromise } from './handler/sync';
import type { HttpRequest } from './http/request';
import type { HttpResponse } from './http/response';
import { ServerAlreadyListening } from './exceptions';
import { consoleLogger, type Logger } from './log';
import { NodeServer, type Http2Server, type HttpServer, type ListenOptions } from './server/node-server';
import { resolveSettings, type ResolvedSettings, type Settings } from './settings';
import { TemplateEngines } from './templates/engine';
import { isTemplateResponse } from './templates/template-response';
import { UrlResolver, type ReverseOptions } from './urls/resolver';
import { setDefaultSecret } from './signing';
import { setDefaultResolver } from './urls/reverse';
import { inspectViews } from './views/inspect';

/** Where {@link Application.respondTo} hands a response: `deliver` writes it and never throws. */
export interface ResponseSink {
  deliver(response: HttpResponse): void;
}

/** Hands `answer` to `sink` now, or once it settles (the promises given here never reject). */
function deliverWhenReady(answer: MaybePromise<HttpResponse>, sink: ResponseSink): void {
  if (isPromiseLike(answer)) void answer.then((response) => sink.deliver(response));
  else sink.deliver(answer);
}

/**
 * A Manouche application: the settings, the URL conf and the middleware stack, all loaded once by
 * {@link createApp}. `handle()` runs one request in process; `listen()` serves HTTP and WebSocket
 * upgrades on one port.
 */
export class Application {
  /** The settings with defaults filled in. Read per request, so changing them takes effect at once. */
  readonly settings: ResolvedSettings;
  /** The compiled URL conf. */
  readonly resolver: UrlResolver;
  /** The configured template engines (`TEMPLATES`). */
  readonly templates: TemplateEngines;
  /** Which stack the settings selected. */
  readonly middlewareMode: MiddlewareMode;
  readonly #handler: RequestHandler;
  readonly #conversion: ConversionContext;
  readonly #closeHooks: Array<() => Promise<void> | void> = [];
  #server: NodeServer | null = null;

  constructor(settings: Settings) {
    this.settings = resolveSettings(settings);
    this.resolver = new UrlResolver(this.settings.ROOT_URLCONF);
    inspectViews(this.resolver.routes.map((route) => route.view));
    this.templates = new TemplateEngines(this.settings.TEMPLATES, this.settings.DEBUG);
    this.middlewareMode = middlewareMode(this.settings);
    const settingsOf = (): ResolvedSettings => this.settings;
    const loggerOf = (): Logger => this.logger;
    this.#conversion = {
      get settings() {
        return settingsOf();
      },
      get logger() {
        return loggerOf();
      },
      resolver: this.resolver,
    };
    this.#handler = loadMiddleware(this.settings, this.resolver, () => this.#conversion);
    setDefaultResolver(this.resolver);
    setDefaultSecret(this.settings.SECRET_KEY);
  }

  /** Where log lines go: `settings.LOGGER`, else stderr. */
  get logger(): Logger {
    return this.settings.LOGGER ?? consoleLogger;
  }

  /** The server `listen()` started, or `null`. */
  get server(): HttpServer | null {
    return this.#server?.server ?? null;
  }

  /**
   * Node's HTTP/2 server behind {@link Application.server} when `listen()` was given `http2: true`
   * (it emits `stream` for every HTTP/2 request), else `null`.
   */
  get http2Server(): Http2Server | null {
    return this.#server?.http2Server ?? null;
  }

  /**
   * Runs `request` through the whole pipeline (host check, middleware, URL conf, view) and resolves
   * to the response. Never rejects: every error has become a response.
   */
  handle(request: HttpRequest): Promise<HttpResponse> {
    const answer = this.respond(request);
    return isPromiseLike(answer) ? answer : Promise.resolve(answer);
  }

  /**
   * As {@link Application.handle}, but synchronous when everything on the way was: what the server
   * calls, so such a response is written in the tick its request arrived. Never throws or rejects.
   */
  respond(request: HttpRequest): MaybePromise<HttpResponse> {
    const answer = this.#dispatch(request);
    if (!isPromiseLike(answer)) return this.#finish(request, answer);
    return answer.then(
      (response) => this.#finish(request, response),
      (error: unknown) => responseForException(request, error, this.#conversion),
    );
  }

  /**
   * As {@link Application.respond}, but hands the response to `sink` (in the same tick when everything
   * on the way was synchronous) instead of returning it: one promise reaction where `respond()` and
   * the caller's own `then()` would be two. A WebSocket's handshake request waits as long as its
   * connection lives, so what its answer holds meanwhile is held by every idle connection.
   */
  respondTo(request: HttpRequest, sink: ResponseSink): void {
    const answer = this.#dispatch(request);
    if (!isPromiseLike(answer)) {
      this.#finishInto(request, answer, sink);
      return;
    }
    // The handler's own promises never reject: nothing to add for them.
    const convert = isSettled(answer)
      ? undefined
      : (error: unknown): void =>
          deliverWhenReady(responseForException(request, error, this.#conversion), sink);
    answer.then((response) => this.#finishInto(request, response, sink), convert);
  }

  #finishInto(request: HttpRequest, response: HttpResponse, sink: ResponseSink): void {
    deliverWhenReady(this.#finish(request, response), sink);
  }

  /** The response for a request that failed before it could run (a bad target, a body too big). */
  respondToError(request: HttpRequest, error: unknown): HttpResponse {
    request.app = this;
    // Before the handler: the default pages only, so the server can write the answer at once.
    return defaultResponseForException(request, error, this.#conversion);
  }

  /**
   * The answer for a request refused on its head alone, before its body is read: a Host not in
   * `ALLOWED_HOSTS` (400, one log line). `null` lets it go on. The server asks it of every request
   * with a body, so an upload for a foreign host is refused without reading (or buffering) a byte.
   */
  checkHead(request: HttpRequest): HttpResponse | null {
    request.app = this;
    try {
      request.getHost();
      return null;
    } catch (error) {
      return defaultResponseForException(request, error, this.#conversion);
    }
  }

  /**
   * The pipeline up to the response, without the final rendering ({@link Application.#finish}).
   * Synchronous when everything on the way was: the server then writes the response in the same tick
   * the request arrived, without a single promise (never throws, never rejects).
   */
  #dispatch(request: HttpRequest): MaybePromise<HttpResponse> {
    request.app = this;
    try {
      // ALLOWED_HOSTS is checked for every request, before any middleware (DisallowedHost: 400);
      // getHost() holds the one implementation of the check, read from the settings each time.
      request.getHost();
      // A malformed query string is refused up front (400), not discovered halfway through a view.
      if (request.queryString.includes('%')) void request.GET;
      // A multipart body built in process; the server parses the ones it reads as they arrive.
      if (request.formPending) return request.loadForm().then(() => this.#handler(request));
      return this.#handler(request);
    } catch (error) {
      return responseForException(request, error, this.#conversion);
    }
  }

  /**
   * A TemplateResponse that skipped the view layer (returned by a middleware's request phase) is
   * rendered here rather than reaching the socket unrendered.
   */
  #finish(request: HttpRequest, response: HttpResponse): MaybePromise<HttpResponse> {
    if (!isTemplateResponse(response) || response.isRendered) return response;
    return response.render().then(
      () => response,
      (error: unknown) => responseForException(request, error, this.#conversion),
    );
  }

  /** The path of the URL pattern named `name` in this application's URL conf. */
  reverse(name: string, params: Record<string, unknown> = {}, options: ReverseOptions = {}): string {
    return this.resolver.reverse(name, params, options);
  }

  /**
   * Serves HTTP and WebSocket upgrades on `host:port` (default 127.0.0.1:8000, as `runserver`; port 0
   * picks a free one). Resolves to Node's server once listening.
   */
  listen(port?: number, host?: string): Promise<HttpServer>;
  /**
   * Serves as `options` say: with `tls`, HTTPS; with `http2`, HTTP/2 too (ALPN `h2` over TLS, prior
   * knowledge in cleartext), HTTP/1.1 staying on the same port. Every request, whatever its
   * protocol, runs through the same middleware stack; WebSockets open over HTTP/1.1 upgrades and
   * HTTP/2 extended CONNECT (RFC 8441) alike.
   */
  listen(options: ListenOptions): Promise<HttpServer>;
  async listen(portOrOptions: number | ListenOptions = {}, host?: string): Promise<HttpServer> {
    const options = typeof portOrOptions === 'number' ? { port: portOrOptions, host } : portOrOptions;
    if (this.#server !== null)
      throw new ServerAlreadyListening('This application is already listening; close() it first');
    const server = new NodeServer(this, options);
    this.#server = server;
    try {
      return await server.listen(options.port ?? 8000, options.host ?? '127.0.0.1');
    } catch (error) {
      this.#server = null;
      throw error;
    }
  }

  /**
   * Registers work for `close()` (the WebSocket package closes its connections with 1001 here).
   * Hooks run after the server stops accepting and before remaining sockets are cut.
   */
  onClose(hook: () => Promise<void> | void): void {
    this.#closeHooks.push(hook);
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to 5 s), runs the `onClose`
   * hooks, then closes what is left.
   */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    await server.close(async () => {
      await Promise.all(this.#closeHooks.map(async (hook) => hook()));
    });
  }
}

/** Validates `settings`, compiles the URL conf and loads the middleware stack, once. */
export function createApp(settings: Settings): Application {
  return new Application(settings);
}
