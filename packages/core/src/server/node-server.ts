import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpRequest, UpgradeContext } from '../http/request';
import type { HttpResponse } from '../http/response';
import { escapeForLog, type Logger } from '../log';
import type { ResolvedSettings } from '../settings';
import { ClientDisconnected } from '../exceptions';
import { assertUnambiguousHead, hasBody, readBody, requestForRefusal, requestFromIncoming } from './incoming';
import { writeBareStatus, writeRawResponse, writeResponse } from './outgoing';

export type { Server as HttpServer } from 'node:http';

/** How long `close()` lets in-flight requests finish before cutting their connections. */
export const CLOSE_GRACE_MS = 5000;

/**
 * What the server needs of the application it serves. The server knows nothing else of it: it turns
 * Node's messages into requests, hands them to `respond`, and writes what comes back.
 */
export interface ServedApplication {
  /** Settings read per request (the body limit). */
  readonly settings: ResolvedSettings;
  /** Where the server's own log lines go. */
  readonly logger: Logger;
  /**
   * Runs one request through the whole pipeline. Never throws, never rejects; answers synchronously
   * when everything on the way did, so the response is written in the tick the request arrived.
   */
  respond(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
  /** The response for a request that failed before it could be run (bad target, body too big). */
  respondToError(request: HttpRequest, error: unknown): HttpResponse;
}

/**
 * Serves a {@link ServedApplication} over HTTP/1.1 with Node's `http` module: plain requests and
 * `Upgrade` requests (whose socket the request carries, for the WebSocket package) on one port.
 */
export class NodeServer {
  readonly #app: ServedApplication;
  readonly #server: Server;
  readonly #sockets = new Set<Duplex>();
  /** Connections whose last request was refused for an ambiguous head (two `Host` lines...). */
  readonly #ambiguousSockets = new WeakSet<Duplex>();

  constructor(app: ServedApplication) {
    this.#app = app;
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
  }

  /** Node's server. */
  get server(): Server {
    return this.#server;
  }

  /** Resolves once listening on `host:port` (port 0 picks a free one). */
  listen(port: number, host: string): Promise<Server> {
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
    await beforeCut();
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
    // Node runs requests pipelined behind one it has already parsed; behind a refused ambiguous head
    // they are never run (a proxy in front may have framed these bytes differently), and the
    // connection closes once the refusal is written.
    if (this.#ambiguousSockets.has(incoming.socket)) return;
    try {
      assertUnambiguousHead(incoming);
    } catch (error) {
      this.#ambiguousSockets.add(incoming.socket);
      res.shouldKeepAlive = false;
      writeResponse(res, this.#app.respondToError(requestForRefusal(incoming), error), this.#app.logger);
      incoming.resume();
      return;
    }
    if (!hasBody(incoming)) {
      this.#respond(incoming, res, undefined);
      return;
    }
    readBody(incoming, this.#app.settings.DATA_UPLOAD_MAX_MEMORY_SIZE).then(
      (body) => this.#respond(incoming, res, body),
      (error: unknown) => {
        if (error instanceof ClientDisconnected) {
          this.#app.logger.warn(
            `Client disconnected while sending the body of ${incoming.method} ${escapeForLog(incoming.url ?? '')}: ${escapeForLog(error.message)}`,
          );
          res.destroy();
          return;
        }
        // Over the limit: answer, and close so the rest of the upload is not read.
        res.shouldKeepAlive = false;
        writeResponse(res, this.#app.respondToError(requestForRefusal(incoming), error), this.#app.logger);
        incoming.resume();
      },
    );
  }

  #respond(incoming: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const write = (response: HttpResponse): void => writeResponse(res, response, this.#app.logger);
    let request: HttpRequest;
    try {
      request = requestFromIncoming(incoming, body, null);
    } catch (error) {
      write(this.#app.respondToError(requestForRefusal(incoming), error));
      return;
    }
    this.#answer(request, write, () => res.destroy());
  }

  #serveUpgrade(incoming: IncomingMessage, socket: Duplex, head: Buffer): void {
    const logger = this.#app.logger;
    const upgrade: UpgradeContext = { incoming, socket, head, upgraded: false };
    // Until a handshake hands the socket over; after that its owner (ws) handles and reports errors.
    socket.on('error', (error) => {
      if (!upgrade.upgraded)
        this.#app.logger.warn(
          `Socket error during upgrade of ${escapeForLog(incoming.url ?? '')}: ${escapeForLog(error.message)}`,
        );
    });
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
    this.#answer(
      request,
      (response) => {
        // After a 101 the socket belongs to the WebSocket; no HTTP bytes may follow.
        if (!upgrade.upgraded) writeRawResponse(socket, response, logger, incoming);
      },
      () => socket.destroy(),
    );
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

  /** Node's parser refused the bytes (bad method, 10 MB of headers...): one log line and a 4xx. */
  #refuse(error: NodeJS.ErrnoException, socket: Duplex): void {
    // HPE_INVALID_EOF_STATE: the client closed mid-request. That is a disconnect, not a bad request;
    // when a body was being read, `#serve` already logs it (one line), and nobody is left to answer.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Node refuses a bad Transfer-Encoding only after it announced the request, whose ambiguous head
    // was already answered 400 and logged: one answer, one line, then the connection ends.
    if (this.#ambiguousSockets.has(socket)) {
      socket.end();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const address = (socket as Socket).remoteAddress ?? 'unknown';
    this.#app.logger.warn(
      `Bad Request: refused unparseable request from ${address} (${error.code ?? 'unknown'}: ${escapeForLog(error.message)})`,
    );
    writeBareStatus(socket, status);
  }
}
