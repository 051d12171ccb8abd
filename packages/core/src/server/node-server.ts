import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { filesOf, type ParsedForm } from '../http/body';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { escapeForLog, type Logger } from '../log';
import type { ResolvedSettings } from '../settings';
import { ClientDisconnected } from '../exceptions';
import {
  assertUnambiguousHead,
  checkDeclaredLength,
  hasBody,
  BodyReading,
  readRequestBody,
  requestForRefusal,
  requestFromIncoming,
} from './incoming';
import { lingerOnClose } from './lingering-close';
import { NodeUpgrade } from './node-upgrade';
import { writeBareStatus, writeRawResponse, writeResponse } from './outgoing';
import { releaseOnSecondCall } from './temporary-files';
import { checkingInterval } from './timeouts';
import { Http2Transport } from './http2-server';
import { createNodeServer, type HttpServer, type ListenOptions } from './transports';

export type { HttpServer, ListenOptions, TlsOptions } from './transports';
export type { Http2Server } from 'node:http2';

/** How long `close()` lets in-flight requests finish before cutting their connections. */
export const CLOSE_GRACE_MS = 5000;

/**
 * What the server needs of the application it serves. The server knows nothing else of it: it turns
 * Node's messages into requests, hands them to `respond`, and writes what comes back.
 */
export interface ServedApplication {
  /** Settings: the timeouts and `MAX_CONNECTIONS` when the server is made, the body limits per request. */
  readonly settings: ResolvedSettings;
  /** Where the server's own log lines go. */
  readonly logger: Logger;
  /**
   * Runs one request through the whole pipeline. Never throws, never rejects; answers synchronously
   * when everything on the way did, so the response is written in the tick the request arrived.
   */
  respond(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
  /** As `respond`, handing the response to `sink.deliver` (see `Application.respondTo`). */
  respondTo(request: HttpRequest, sink: { deliver(response: HttpResponse): void }): void;
  /** The response for a request that failed before it could be run (bad target, body too big). */
  respondToError(request: HttpRequest, error: unknown): HttpResponse;
  /**
   * The answer for a request refused on its head alone (a Host not in `ALLOWED_HOSTS`), asked
   * before a byte of its body is read; `null` lets it go on.
   */
  checkHead(request: HttpRequest): HttpResponse | null;
}

/**
 * Serves a {@link ServedApplication} over HTTP/1.1 with Node's `http` module: plain requests and
 * `Upgrade` requests (whose socket the request carries, for the WebSocket package) on one port.
 */
export class NodeServer {
  readonly #app: ServedApplication;
  readonly #server: HttpServer;
  /** The HTTP/2 side when `listen()` was asked for it: it serves the connections that speak HTTP/2. */
  readonly #http2: Http2Transport | null;
  readonly #sockets = new Set<Duplex>();
  /** Connections answered before their body was read, closing: what else they send is not served. */
  readonly #closing = new WeakSet<Duplex>();
  /** Connections whose request body is being read, with what stops the reading (on a timeout). */
  readonly #readingBody = new WeakMap<Duplex, BodyReading>();
  /** Connections already answered 408: their body reader must not log the disconnect again. */
  readonly #timedOut = new WeakSet<Duplex>();
  /** Set while `MAX_CONNECTIONS` refuses connections, so the refusals log one line, not one each. */
  #refusingConnections = false;

  constructor(app: ServedApplication, options: ListenOptions = {}) {
    this.#app = app;
    const settings = app.settings;
    this.#http2 = options.http2 === true ? new Http2Transport(app) : null;
    const server = createNodeServer(
      options,
      {
        requestTimeout: settings.REQUEST_TIMEOUT,
        headersTimeout: settings.REQUEST_HEADERS_TIMEOUT,
        keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT,
        connectionsCheckingInterval: checkingInterval(settings),
      },
      this.#http2,
    );
    if (settings.MAX_CONNECTIONS !== null) server.maxConnections = settings.MAX_CONNECTIONS;
    server.on('drop', () => this.#connectionRefused());
    server.on('request', (incoming: IncomingMessage, res: ServerResponse) =>
      this.#serve(incoming, res, false),
    );
    // Without this listener Node sends `100 Continue` itself, before anyone could refuse the body.
    server.on('checkContinue', (incoming: IncomingMessage, res: ServerResponse) =>
      this.#serve(incoming, res, true),
    );
    server.on('upgrade', (incoming: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#serveUpgrade(incoming, socket, head),
    );
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#refuse(error, socket));
    // One listener for every socket (`this` is the socket): a closure or a `once` wrapper per
    // connection would cost each idle WebSocket a few hundred bytes for as long as it lives.
    const sockets = this.#sockets;
    const forget = (socket: Duplex): void => {
      sockets.delete(socket);
      this.#refusingConnections = false;
    };
    const onSocketClose = function (this: Duplex): void {
      forget(this);
    };
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', onSocketClose);
    });
    this.#server = server;
  }

  /** Node's server. */
  get server(): HttpServer {
    return this.#server;
  }

  /** Node's HTTP/2 server behind it, when listening with `http2`: it emits a `stream` per request. */
  get http2Server(): Http2Server | null {
    return this.#http2?.server ?? null;
  }

  /** Resolves once listening on `host:port` (port 0 picks a free one). */
  listen(port: number, host: string): Promise<HttpServer> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  /**
   * Stops accepting connections and closes the idle ones, runs `beforeCut` (the application's close
   * hooks), lets in-flight requests finish for up to {@link CLOSE_GRACE_MS}, then cuts what is left.
   */
  async close(beforeCut: () => Promise<void>): Promise<void> {
    const server = this.#server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // HTTP/2: GOAWAY on every connection; in-flight streams finish, WebSockets get their 1001 next.
    this.#http2?.close();
    await beforeCut();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
      timer.unref();
    });
    await Promise.race([closed, grace]);
    clearTimeout(timer);
    server.closeAllConnections();
    this.#http2?.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /**
   * One plain request. Without a body it is answered at once; with one, the request is built from
   * the head and `ALLOWED_HOSTS` and the declared length are checked before the body is read (or
   * `100 Continue` sent, when `expectsContinue`): a refusal is answered and the connection closed
   * without reading the upload.
   */
  #serve(incoming: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    if (this.#closing.has(incoming.socket)) {
      // Pipelined behind a request that was refused before its body (or for an ambiguous head, which
      // a proxy in front may have framed differently): the connection is closing, nothing more runs.
      incoming.resume();
      return;
    }
    try {
      assertUnambiguousHead(incoming);
    } catch (error) {
      this.#refuseBody(incoming, res, this.#app.respondToError(requestForRefusal(incoming), error));
      return;
    }
    if (!hasBody(incoming)) {
      this.#respond(incoming, res);
      return;
    }
    let request: HttpRequest;
    try {
      request = requestFromIncoming(incoming, undefined, null);
    } catch (error) {
      this.#refuseBody(incoming, res, this.#app.respondToError(requestForRefusal(incoming), error));
      return;
    }
    const refusal = this.#app.checkHead(request);
    if (refusal !== null) {
      this.#refuseBody(incoming, res, refusal);
      return;
    }
    const settings = this.#app.settings;
    try {
      checkDeclaredLength(request, settings);
    } catch (error) {
      this.#refuseBody(incoming, res, this.#app.respondToError(request, error));
      return;
    }
    if (expectsContinue) res.writeContinue();
    const socket = incoming.socket;
    const reading = new BodyReading();
    this.#readingBody.set(socket, reading);
    readRequestBody(incoming, request, settings, reading).then(
      (form) => {
        this.#readingBody.delete(socket);
        this.#answerWithBody(request, res, form);
      },
      (error: unknown) => {
        this.#readingBody.delete(socket);
        // Answered 408 already; the connection closes on its own (lingering).
        if (this.#timedOut.has(socket)) return;
        if (error instanceof ClientDisconnected) {
          this.#app.logger.warn(
            `Client disconnected while sending the body of ${incoming.method} ${escapeForLog(incoming.url ?? '')}: ${escapeForLog(error.message)}`,
          );
          res.destroy();
          return;
        }
        // Over a limit (413), or the disk failed (500): answered, and the rest is not read.
        this.#refuseBody(incoming, res, this.#app.respondToError(request, error));
      },
    );
  }

  /** Answers a request whose body was read; files on disk are removed once the answer is out. */
  #answerWithBody(request: HttpRequest, res: ServerResponse, form: ParsedForm | null): void {
    const write = (response: HttpResponse): void => writeResponse(res, response, this.#app.logger);
    const files = form === null ? [] : filesOf(form);
    if (files.length === 0) {
      this.#answer(request, write, () => res.destroy());
      return;
    }
    const release = releaseOnSecondCall(files, this.#app.logger);
    res.once('close', release);
    this.#answer(
      request,
      (response) => {
        try {
          write(response);
        } finally {
          release();
        }
      },
      () => res.destroy(),
    );
  }

  /**
   * Answers a request before (or instead of) reading the rest of its body, then closes the
   * connection in stages: the answer, a FIN, then the unread upload drained for a moment, so the
   * client is not reset before it reads the answer.
   */
  #refuseBody(incoming: IncomingMessage, res: ServerResponse, response: HttpResponse): void {
    const socket = incoming.socket;
    this.#closing.add(socket);
    lingerOnClose(socket);
    res.shouldKeepAlive = false;
    writeResponse(res, response, this.#app.logger);
    incoming.resume();
  }

  #respond(incoming: IncomingMessage, res: ServerResponse): void {
    const write = (response: HttpResponse): void => writeResponse(res, response, this.#app.logger);
    let request: HttpRequest;
    try {
      request = requestFromIncoming(incoming, undefined, null);
    } catch (error) {
      write(this.#app.respondToError(requestForRefusal(incoming), error));
      return;
    }
    this.#answer(request, write, () => res.destroy());
  }

  /** A connection past `MAX_CONNECTIONS` was closed by Node at once: one line per spell of them. */
  #connectionRefused(): void {
    if (this.#refusingConnections) return;
    this.#refusingConnections = true;
    this.#app.logger.warn(
      `Too many connections: MAX_CONNECTIONS (${this.#server.maxConnections}) are open, new ones are closed until one ends`,
    );
  }

  #serveUpgrade(incoming: IncomingMessage, socket: Duplex, head: Buffer): void {
    const logger = this.#app.logger;
    const upgrade = new NodeUpgrade(incoming, socket, head, logger);
    let request: HttpRequest;
    try {
      assertUnambiguousHead(incoming);
      request = requestFromIncoming(incoming, undefined, upgrade);
    } catch (error) {
      writeRawResponse(
        socket,
        this.#app.respondToError(requestForRefusal(incoming), error),
        logger,
        incoming,
      );
      return;
    }
    this.#app.respondTo(request, upgrade);
  }

  /**
   * Runs `request` and hands the response to `write`: in the same tick when the application answered
   * synchronously. The writers answer a response that can't be written with a bare 500 themselves;
   * `abort` drops the connection only if even that throws (a logger that throws), so nothing a
   * response does can take the process down.
   */
  #answer(request: HttpRequest, write: (response: HttpResponse) => void, abort: () => void): void {
    const deliver = (response: HttpResponse): void => {
      try {
        write(response);
      } catch {
        abort();
      }
    };
    const answer = this.#app.respond(request);
    if (!(answer instanceof Promise)) deliver(answer);
    // `respond` converts every error itself; a rejection would be a bug, still answered (500).
    else answer.then(deliver, (error: unknown) => deliver(this.#app.respondToError(request, error)));
  }

  /** Node's parser refused the bytes (bad method, 10 MB of headers...), or a timeout: one log line and a 4xx. */
  #refuse(error: NodeJS.ErrnoException, socket: Duplex): void {
    // HPE_INVALID_EOF_STATE: the client closed mid-request. That is a disconnect, not a bad request;
    // when a body was being read, `#serve` already logs it (one line), and nobody is left to answer.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const address = (socket as Socket).remoteAddress ?? 'unknown';
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.#requestTimedOut(socket, address);
      return;
    }
    // Node refuses a bad Transfer-Encoding only after it announced the request, whose ambiguous head
    // was already answered 400 and logged: one answer, one line, then the connection ends.
    if (this.#closing.has(socket)) {
      socket.end();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    this.#app.logger.warn(
      `Bad Request: refused unparseable request from ${address} (${error.code ?? 'unknown'}: ${escapeForLog(error.message)})`,
    );
    writeBareStatus(socket, status);
  }

  /**
   * The head did not arrive within `REQUEST_HEADERS_TIMEOUT`, or the whole request within
   * `REQUEST_TIMEOUT`: 408, one line, and the connection closed, whatever the client still sends.
   */
  #requestTimedOut(socket: Duplex, address: string): void {
    const { REQUEST_HEADERS_TIMEOUT: headers, REQUEST_TIMEOUT: whole } = this.#app.settings;
    const what =
      this.#readingBody.has(socket) || headers === 0
        ? `its whole request within REQUEST_TIMEOUT (${whole} ms)`
        : `its request head within REQUEST_HEADERS_TIMEOUT (${headers} ms)`;
    this.#app.logger.warn(`Request Timeout: ${address} did not send ${what}`);
    this.#timedOut.add(socket);
    // Nothing that still arrives may reach a view: the client has its answer.
    this.#readingBody.get(socket)?.abort(new Error('REQUEST_TIMEOUT passed'));
    lingerOnClose(socket as Socket);
    writeBareStatus(socket, 408);
    (socket as Socket).destroySoon();
  }
}
