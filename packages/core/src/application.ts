import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { responseForException, type ConversionContext } from './handler/convert';
import { loadMiddleware, middlewareMode, type MiddlewareMode } from './handler/load';
import { isPromiseLike } from './handler/promise';
import { takeHeldResponse, type SettledLayer } from './handler/settle';
import type { MaybePromise } from './handler/types';
import type { HttpRequest, UpgradeContext } from './http/request';
import type { HttpResponse } from './http/response';
import { ClientDisconnected, ServerAlreadyListening } from './exceptions';
import { consoleLogger, type Logger } from './log';
import {
  hasBody,
  readBody,
  requestFromIncoming,
  writeBareStatus,
  writeRawResponse,
  writeResponse,
} from './server/node-http';
import { resolveSettings, type ResolvedSettings, type Settings } from './settings';
import { TemplateEngines } from './templates/engine';
import { isTemplateResponse } from './templates/template-response';
import { UrlResolver } from './urls/resolver';
import { setDefaultResolver } from './urls/reverse';
import { inspectViews } from './views/inspect';

/** How long `close()` lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 5000;

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
  readonly #handler: SettledLayer;
  readonly #conversion: ConversionContext;
  readonly #closeHooks: Array<() => Promise<void> | void> = [];
  readonly #sockets = new Set<Duplex>();
  #server: Server | null = null;

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
  }

  /** Where log lines go: `settings.LOGGER`, else stderr. */
  get logger(): Logger {
    return this.settings.LOGGER ?? consoleLogger;
  }

  /** The server `listen()` started, or `null`. */
  get server(): Server | null {
    return this.#server;
  }

  /**
   * Runs `request` through the whole pipeline (host check, middleware, URL conf, view) and resolves
   * to the response. Never rejects: every error has become a response.
   */
  handle(request: HttpRequest): Promise<HttpResponse> {
    const answer = this.#dispatch(request);
    return isPromiseLike(answer)
      ? answer.then(
          (response) => this.#finish(request, response),
          (error: unknown) => responseForException(request, error, this.#conversion),
        )
      : this.#finish(request, answer);
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
      if (request.body.length > 0) return request.loadForm().then(() => this.#handler(request));
      return this.#handler(request);
    } catch (error) {
      return responseForException(request, error, this.#conversion);
    }
  }

  /**
   * A TemplateResponse that skipped the view layer (returned by a middleware's request phase) is
   * rendered here rather than reaching the socket unrendered.
   */
  #finish(request: HttpRequest, response: HttpResponse): Promise<HttpResponse> {
    if (!isTemplateResponse(response) || response.isRendered) return Promise.resolve(response);
    return response.render().then(
      () => response,
      (error: unknown) => responseForException(request, error, this.#conversion),
    );
  }

  /** The path of the URL pattern named `name` in this application's URL conf. */
  reverse(name: string, params: Record<string, unknown> = {}): string {
    return this.resolver.reverse(name, params);
  }

  /**
   * Serves HTTP and WebSocket upgrades on `host:port` (default 127.0.0.1:8000, as `runserver`; port 0
   * picks a free one). Resolves once listening.
   */
  listen(port = 8000, host = '127.0.0.1'): Promise<Server> {
    if (this.#server !== null)
      return Promise.reject(
        new ServerAlreadyListening('This application is already listening; close() it first'),
      );
    const server = createServer();
    server.on('request', (incoming: IncomingMessage, res: ServerResponse) => this.#serve(incoming, res));
    server.on('upgrade', (incoming: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#serveUpgrade(incoming, socket, head),
    );
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#refuse(error, socket));
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.all(this.#closeHooks.map(async (hook) => hook()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
      timer.unref();
    });
    await Promise.race([closed, grace]);
    clearTimeout(timer);
    server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #serve(incoming: IncomingMessage, res: ServerResponse): void {
    if (!hasBody(incoming)) {
      this.#respond(incoming, res, undefined);
      return;
    }
    readBody(incoming, this.settings.DATA_UPLOAD_MAX_MEMORY_SIZE).then(
      (body) => this.#respond(incoming, res, body),
      (error: unknown) => {
        if (error instanceof ClientDisconnected) {
          this.logger.warn(
            `Client disconnected while sending the body of ${incoming.method} ${incoming.url}: ${error.message}`,
          );
          res.destroy();
          return;
        }
        // Over the limit: answer, and close so the rest of the upload is not read.
        res.shouldKeepAlive = false;
        this.#respondToBrokenRequest(incoming, error, (response) =>
          writeResponse(res, response, this.logger),
        );
        incoming.resume();
      },
    );
  }

  #respond(incoming: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    let request: HttpRequest;
    try {
      request = requestFromIncoming(incoming, body, null);
    } catch (error) {
      this.#respondToBrokenRequest(incoming, error, (response) => writeResponse(res, response, this.logger));
      return;
    }
    this.#answer(
      request,
      (response) => writeResponse(res, response, this.logger),
      () => res.destroy(),
    );
  }

  #serveUpgrade(incoming: IncomingMessage, socket: Duplex, head: Buffer): void {
    const upgrade: UpgradeContext = { incoming, socket, head, upgraded: false, viewRunner: null };
    // Until a handshake hands the socket over; after that its owner (ws) handles and reports errors.
    socket.on('error', (error) => {
      if (!upgrade.upgraded)
        this.logger.warn(`Socket error during upgrade of ${incoming.url}: ${error.message}`);
    });
    let request: HttpRequest;
    try {
      request = requestFromIncoming(incoming, undefined, upgrade);
    } catch (error) {
      this.#respondToBrokenRequest(incoming, error, (response) => writeRawResponse(socket, response));
      return;
    }
    this.#answer(
      request,
      (response) => {
        // After a 101 the socket belongs to the WebSocket; no HTTP bytes may follow.
        if (!upgrade.upgraded) writeRawResponse(socket, response);
      },
      () => socket.destroy(),
    );
  }

  /**
   * Runs `request` and hands the response to `write`: in the same tick when the pipeline answered
   * synchronously, else after one promise reaction. `abort` drops the connection when writing fails
   * (a bug, logged), so a broken response never takes the process down.
   */
  #answer(request: HttpRequest, write: (response: HttpResponse) => void, abort: () => void): void {
    const deliver = (response: HttpResponse): void => {
      if (isTemplateResponse(response) && !response.isRendered) {
        this.#finish(request, response).then(deliver, fail);
        return;
      }
      try {
        write(response);
      } catch (error) {
        fail(error);
      }
    };
    const fail = (error: unknown): void => {
      this.logger.error(
        `Unexpected failure writing the response to ${request.method} ${request.path}`,
        error,
      );
      abort();
    };
    const answer = this.#dispatch(request);
    if (!isPromiseLike(answer)) deliver(answer);
    else {
      const held = takeHeldResponse(answer);
      if (held !== null) deliver(held);
      // The pipeline converts every error itself; a rejection here would be a bug, answered with 500.
      else
        answer.then(deliver, (error: unknown) =>
          deliver(responseForException(request, error, this.#conversion)),
        );
    }
  }

  /** Answers a request that never reached the handler (bad target, body too big). */
  #respondToBrokenRequest(
    incoming: IncomingMessage,
    error: unknown,
    write: (response: HttpResponse) => void,
  ): void {
    const stub = requestFromIncomingSafe(incoming);
    stub.app = this;
    write(responseForException(stub, error, this.#conversion));
  }

  /** Node's parser refused the bytes (bad method, 10 MB of headers...): one log line and a 4xx. */
  #refuse(error: NodeJS.ErrnoException, socket: Duplex): void {
    // HPE_INVALID_EOF_STATE: the client closed mid-request. That is a disconnect, not a bad request;
    // when a body was being read, `#serve` already logs it (one line), and nobody is left to answer.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const address = (socket as Socket).remoteAddress ?? 'unknown';
    this.logger.warn(
      `Bad Request: refused unparseable request from ${address} (${error.code ?? 'unknown'}: ${error.message})`,
    );
    writeBareStatus(socket, status);
  }
}

function requestFromIncomingSafe(incoming: IncomingMessage): HttpRequest {
  try {
    return requestFromIncoming(incoming, undefined, null);
  } catch {
    const copy = Object.create(incoming) as IncomingMessage;
    copy.url = '/';
    return requestFromIncoming(copy, undefined, null);
  }
}

/** Validates `settings`, compiles the URL conf and loads the middleware stack, once. */
export function createApp(settings: Settings): Application {
  return new Application(settings);
}
