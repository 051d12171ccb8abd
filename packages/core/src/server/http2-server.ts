import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { finished, type Duplex } from 'node:stream';
import { ClientDisconnected } from '../exceptions';
import { filesOf, type ParsedForm } from '../http/body';
import type { HttpRequest } from '../http/request';
import type { Http2UpgradeContext } from '../http/upgrade-context';
import type { HttpResponse } from '../http/response';
import { escapeForLog, type Logger } from '../log';
import type { ResolvedSettings } from '../settings';
import { rememberPeer, requestFromHttp2Stream } from './http2-incoming';
import { headLimitOf, headTimeoutLine, SessionTimeouts, type HeadLimit } from './http2-timeouts';
import { writeHttp2BareStatus, writeHttp2Response } from './http2-outgoing';
import { writeBareStatus } from './outgoing';
import { releaseOnSecondCall } from './temporary-files';
import { BodyReading, checkDeclaredLength, readRequestBody } from './incoming';

/**
 * What the HTTP/2 side needs of the application: the same as node-server.ts's `ServedApplication`
 * (spelled out here so the two servers do not import each other).
 */
export interface Http2ServedApplication {
  readonly settings: ResolvedSettings;
  readonly logger: Logger;
  respond(request: HttpRequest): HttpResponse | Promise<HttpResponse>;
  respondToError(request: HttpRequest, error: unknown): HttpResponse;
  checkHead(request: HttpRequest): HttpResponse | null;
}

/** A connection being handed to Node's HTTP/2 server: the socket, when it arrived, from where. */
interface Accepting {
  readonly socket: Duplex | null;
  readonly at: number;
  readonly address: string | undefined;
}

/** `:protocol` of an extended CONNECT that opens a WebSocket (RFC 8441 section 4). */
const WEBSOCKET_PROTOCOL = 'websocket';

/** The statuses this file answers itself, before (or instead of) the application. */
const Status = {
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  NOT_IMPLEMENTED: 501,
} as const;

/**
 * Serves a {@link Http2ServedApplication} over HTTP/2 on the connections it is handed (TLS ones whose
 * ALPN chose `h2`, or cleartext ones that opened with the HTTP/2 preface): each stream becomes an
 * `HttpRequest` that goes through the same `respond()` as an HTTP/1.1 request, and an extended
 * CONNECT with `:protocol` `websocket` (RFC 8441, advertised with `SETTINGS_ENABLE_CONNECT_PROTOCOL`)
 * becomes a WebSocket handshake whose request carries the stream.
 *
 * Limits: `HTTP2_MAX_CONCURRENT_STREAMS` streams per connection and `HTTP2_MAX_HEADER_LIST_SIZE`
 * of headers are advertised in SETTINGS and enforced by Node (a stream past them is refused with
 * RST_STREAM); HTTP/2 flow control holds back a peer's DATA until a body is read, and nothing is
 * sent faster than the peer's window lets it through, so a peer that never reads holds at most one
 * window per stream. The time limits are HTTP/1.1's: `REQUEST_HEADERS_TIMEOUT` for a connection's
 * first request head and `KEEP_ALIVE_TIMEOUT` between streams (see {@link SessionTimeouts}), and
 * `REQUEST_TIMEOUT` for each stream's body.
 */
export class Http2Transport {
  readonly #app: Http2ServedApplication;
  readonly #server: Http2Server;
  readonly #headLimit: HeadLimit | null;
  readonly #sessions = new Set<ServerHttp2Session>();
  /** Each connection's time limits: the first request head, then keep-alive between streams. */
  readonly #timeouts = new WeakMap<Http2Session, SessionTimeouts>();
  /**
   * When the connection being handed to Node's server arrived, and from where (its `session` event
   * comes within `accept`). The address is read here: Node wraps an h2c connection (a plain Duplex)
   * in a socket of its own, which knows no peer address.
   */
  #accepting: Accepting | null = null;

  constructor(app: Http2ServedApplication) {
    this.#app = app;
    const settings = app.settings;
    this.#headLimit = headLimitOf(settings);
    const server = createServer({
      settings: {
        enableConnectProtocol: true,
        maxConcurrentStreams: settings.HTTP2_MAX_CONCURRENT_STREAMS,
        maxHeaderListSize: settings.HTTP2_MAX_HEADER_LIST_SIZE,
      },
    });
    server.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      // Not through accept() (someone emitted `connection` on `server` itself): timed from now.
      const accepting = this.#accepting ?? { socket: null, at: performance.now(), address: undefined };
      const connection = { ...accepting, elapsed: performance.now() - accepting.at };
      this.#timeouts.set(session, new SessionTimeouts(session, settings, app.logger, connection));
      if (accepting.socket !== null) rememberPeer(session, accepting.socket as Partial<Socket>);
      // A peer that breaks the protocol: nghttp2 answers it (GOAWAY); nothing more to do than note it.
      session.on('error', (error: Error) =>
        app.logger.warn(`HTTP/2 connection error: ${escapeForLog(error.message)}`),
      );
    });
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) =>
      this.#serve(stream, headers),
    );
    this.#server = server;
  }

  /** Node's HTTP/2 server (it never listens: connections are handed to it). */
  get server(): Http2Server {
    return this.#server;
  }

  /**
   * How long a new connection has to send its first request head (`null`: no limit). It counts from
   * when the connection arrived, so the time spent telling h2c from HTTP/1.1 is part of it.
   */
  get headLimit(): HeadLimit | null {
    return this.#headLimit;
  }

  /**
   * Serves HTTP/2 on `socket`, whose first bytes (the connection preface) are still unread;
   * `acceptedAt` (`performance.now()`) is when the connection arrived, for {@link headLimit}.
   */
  accept(socket: Duplex, acceptedAt: number = performance.now()): void {
    // Node's server creates the session, and emits `session`, within this call.
    this.#accepting = { socket, at: acceptedAt, address: (socket as Partial<Socket>).remoteAddress };
    this.#server.emit('connection', socket);
    this.#accepting = null;
  }

  /**
   * A cleartext connection that did not send enough to be told HTTP/2 from HTTP/1.1 within
   * {@link headLimit}: one line. One that sent nothing gets the 408 Node's HTTP/1.1 server answers a
   * silent connection (an HTTP/2 client that sent nothing has no preface to be wrong about); one
   * that began the HTTP/2 preface is dropped (there is no session to say GOAWAY).
   */
  dropUnrouted(socket: Socket, sentSomething: boolean): void {
    const limit = this.#headLimit;
    if (limit !== null) {
      const what = sentSomething ? 'did not send the HTTP/2 connection preface' : 'sent nothing';
      this.#app.logger.warn(headTimeoutLine(socket.remoteAddress, what, limit));
    }
    if (sentSomething) {
      socket.destroy();
      return;
    }
    writeBareStatus(socket, Status.REQUEST_TIMEOUT);
    socket.destroySoon();
  }

  /** Sends GOAWAY on every connection: no new streams, the open ones (WebSockets too) carry on. */
  close(): void {
    for (const session of this.#sessions) if (!session.closed) session.close();
  }

  /** Drops every connection that is still open. */
  destroy(): void {
    for (const session of this.#sessions) session.destroy();
  }

  #serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const session = stream.session;
    if (session !== undefined) this.#timeouts.get(session)?.streamOpened(stream);
    // A peer that resets a stream (RST_STREAM) is a client that left: the stream's readers see the
    // end, and nothing is reported as an error.
    stream.on('error', ignoreStreamError);
    if (headers[':method'] === 'CONNECT') {
      this.#serveConnect(stream, headers);
      return;
    }
    let request: HttpRequest;
    try {
      request = requestFromHttp2Stream(stream, headers, null);
    } catch (error) {
      const refusal = requestFromHttp2Stream(stream, { ...headers, ':path': '/' }, null);
      this.#write(stream, refusal, this.#app.respondToError(refusal, error));
      return;
    }
    if (stream.endAfterHeaders) {
      this.#answer(stream, request);
      return;
    }
    this.#readBodyThenAnswer(stream, request);
  }

  /**
   * A CONNECT: an extended CONNECT for a WebSocket is a handshake run through the application; any
   * other is refused (this server is no proxy): plain CONNECT 405, another `:protocol` 501 (the
   * server does not implement it). An extended CONNECT without `:path` or `:scheme` never gets
   * here: Node resets it with PROTOCOL_ERROR, as RFC 9113 8.1.1 says of a malformed request.
   */
  #serveConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const protocol = headers[':protocol'];
    const path = escapeForLog(headers[':path'] ?? '');
    if (protocol === undefined) {
      this.#refuseStream(
        stream,
        Status.METHOD_NOT_ALLOWED,
        `a plain CONNECT to ${escapeForLog(headers[':authority'] ?? '')}; this server is no proxy`,
      );
      return;
    }
    if (protocol.toLowerCase() !== WEBSOCKET_PROTOCOL) {
      this.#refuseStream(
        stream,
        Status.NOT_IMPLEMENTED,
        `an extended CONNECT to ${path} for :protocol ${escapeForLog(JSON.stringify(protocol))}; only websocket is served`,
      );
      return;
    }
    const upgrade: Http2UpgradeContext = { transport: 'h2', socket: stream, upgraded: false };
    let request: HttpRequest;
    try {
      request = requestFromHttp2Stream(stream, headers, upgrade);
    } catch (error) {
      const refusal = requestFromHttp2Stream(stream, { ...headers, ':path': '/' }, null);
      this.#write(stream, refusal, this.#app.respondToError(refusal, error));
      return;
    }
    this.#answer(stream, request);
  }

  #refuseStream(stream: ServerHttp2Stream, status: number, why: string): void {
    const label = status === Status.NOT_IMPLEMENTED ? 'Not Implemented' : 'Method Not Allowed';
    this.#app.logger.warn(`${label}: refused ${why}`);
    writeHttp2BareStatus(stream, status);
  }

  /**
   * A request with a body: `ALLOWED_HOSTS` and the declared length are checked on the head, then the
   * body is read (flow control holds the peer back meanwhile), then the request is answered. A
   * refusal on the head is answered without reading the body, and the stream then reset with
   * NO_ERROR, which tells the client to stop sending (RFC 9113 8.1).
   */
  #readBodyThenAnswer(stream: ServerHttp2Stream, request: HttpRequest): void {
    const app = this.#app;
    const refusal = app.checkHead(request);
    if (refusal !== null) {
      this.#refuseBody(stream, request, refusal);
      return;
    }
    try {
      checkDeclaredLength(request, app.settings);
    } catch (error) {
      this.#refuseBody(stream, request, app.respondToError(request, error));
      return;
    }
    // REQUEST_TIMEOUT, as Node's HTTP/1.1 parser enforces it: a body that has not all come in time is
    // dropped and answered 408 (one line), and the stream reset once the answer is out.
    const reading = new BodyReading();
    const whole = app.settings.REQUEST_TIMEOUT;
    const timer =
      whole > 0
        ? setTimeout(() => reading.abort(new Error(`REQUEST_TIMEOUT (${whole} ms) passed`)), whole)
        : null;
    timer?.unref();
    readRequestBody(stream, request, app.settings, reading).then(
      (form) => {
        if (timer !== null) clearTimeout(timer);
        this.#answerWithBody(stream, request, form);
      },
      (error: unknown) => {
        if (timer !== null) clearTimeout(timer);
        if (reading.aborted) {
          app.logger.warn(
            `Request Timeout: ${escapeForLog(stream.session?.socket?.remoteAddress ?? 'unknown')} did not send its whole request within REQUEST_TIMEOUT (${whole} ms)`,
          );
          writeHttp2BareStatus(stream, Status.REQUEST_TIMEOUT);
          resetOnceAnswered(stream);
          return;
        }
        if (error instanceof ClientDisconnected) {
          app.logger.warn(
            `Client disconnected while sending the body of ${request.method} ${escapeForLog(request.path)}: ${escapeForLog(error.message)}`,
          );
          stream.destroy();
          return;
        }
        this.#refuseBody(stream, request, app.respondToError(request, error));
      },
    );
  }

  #refuseBody(stream: ServerHttp2Stream, request: HttpRequest, response: HttpResponse): void {
    this.#write(stream, request, response);
    resetOnceAnswered(stream);
  }

  /** Answers a request whose body was read; its files on disk are removed once both are done. */
  #answerWithBody(stream: ServerHttp2Stream, request: HttpRequest, form: ParsedForm | null): void {
    const files = form === null ? [] : filesOf(form);
    if (files.length === 0) {
      this.#answer(stream, request);
      return;
    }
    const release = releaseOnSecondCall(files, this.#app.logger);
    stream.once('close', release);
    this.#answer(stream, request, release);
  }

  /**
   * Runs `request` and writes its response on the stream (in the same tick when the application
   * answered synchronously). After an accepted WebSocket handshake the stream is the WebSocket's:
   * the `101` the middleware sees is never written.
   */
  #answer(stream: ServerHttp2Stream, request: HttpRequest, written?: () => void): void {
    const deliver = (response: HttpResponse): void => {
      try {
        this.#write(stream, request, response);
      } finally {
        written?.();
      }
    };
    const answer = this.#app.respond(request);
    if (!(answer instanceof Promise)) deliver(answer);
    else answer.then(deliver, (error: unknown) => deliver(this.#app.respondToError(request, error)));
  }

  #write(stream: ServerHttp2Stream, request: HttpRequest, response: HttpResponse): void {
    if (request.upgrade?.upgraded === true) return;
    try {
      if (request.upgrade !== null && isSuccess(response.statusCode)) {
        // Over HTTP/1.1 a plain 200 to a handshake is plainly not a 101; over HTTP/2 any 2xx to an
        // extended CONNECT opens the tunnel (RFC 8441 section 5), so the client would take the
        // view's body for WebSocket frames. A view that answered without accepting is refused.
        this.#app.logger.warn(
          `Bad Request: WebSocket handshake to ${escapeForLog(request.path)} refused: the view answered ${response.statusCode} without accepting it, and over HTTP/2 a 2xx would open the WebSocket`,
        );
        writeHttp2BareStatus(stream, Status.BAD_REQUEST);
        return;
      }
      writeHttp2Response(stream, response, this.#app.logger, request.method === 'HEAD');
    } catch {
      // Only a logger that throws gets here: the stream is dropped, the process carries on.
      stream.destroy();
    }
  }
}

/**
 * Resets a stream with NO_ERROR once its answer is out: the client stops sending the body nobody
 * will read (RFC 9113 8.1), and the stream's flow-control window is not held open for it.
 */
function resetOnceAnswered(stream: ServerHttp2Stream): void {
  finished(stream, { readable: false }, () => {
    if (!stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function ignoreStreamError(): void {
  // See #serve: a reset stream is a client that left.
}
