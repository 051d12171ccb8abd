import { createServer as createHttp1Server, type Server as Http1Server, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Http2Transport } from './http2-server';

/** The certificate and key of a TLS listener, in PEM (strings or Buffers, as Node's `tls` takes them). */
export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

/** How `listen()` serves: the address, and which protocols. */
export interface ListenOptions {
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Serve HTTPS with this certificate (HTTP/1.1, and HTTP/2 through ALPN when `http2` is true). */
  tls?: TlsOptions;
  /**
   * Serve HTTP/2 as well: over TLS, the client chooses through ALPN (`h2`, else HTTP/1.1) on the same
   * port; without `tls`, cleartext HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on the same port.
   */
  http2?: boolean;
}

/** Node's server `listen()` resolves to: `http.Server`, or `https.Server` with `tls`. */
export type HttpServer = Http1Server | HttpsServer;

/** HTTP/2's connection preface starts with these bytes; no HTTP/1.1 request line does (RFC 9113 3.4). */
const PREFACE_START = Buffer.from('PRI * HTTP/2.0');

/**
 * Node's server for `options`: plain HTTP/1.1, or HTTPS. With `http2`, the connections whose
 * protocol is HTTP/2 go to `http2` instead of Node's HTTP/1.1 parser: over TLS, those whose ALPN
 * chose `h2`; in cleartext, those whose first bytes are the HTTP/2 preface. Everything else (the
 * timeouts, `MAX_CONNECTIONS`, `close()`) stays the HTTP/1.1 server's, which listens.
 */
export function createNodeServer(
  options: ListenOptions,
  serverOptions: ServerOptions,
  http2: Http2Transport | null,
): HttpServer {
  if (options.tls === undefined) {
    const server = createHttp1Server(serverOptions);
    if (http2 !== null) routeByPreface(server, http2);
    return server;
  }
  const server = createHttpsServer({
    ...serverOptions,
    key: options.tls.key,
    cert: options.tls.cert,
    ...(http2 === null ? {} : { ALPNProtocols: ['h2', 'http/1.1'] }),
  });
  if (http2 !== null) routeByAlpn(server, http2);
  return server;
}

/** Node's HTTP/1.1 handling of a new connection: the listener its server registered first. */
function takeListener(server: Http1Server | HttpsServer, event: string): (socket: Socket) => void {
  const [listener] = server.listeners(event) as Array<(socket: Socket) => void>;
  if (listener === undefined) throw new Error(`Node's server registered no '${event}' listener`);
  server.removeListener(event, listener);
  return listener;
}

function routeByAlpn(server: HttpsServer, http2: Http2Transport): void {
  const http1 = takeListener(server, 'secureConnection');
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') http2.accept(socket);
    else http1.call(server, socket);
  });
}

/**
 * Cleartext: reads the first bytes of each connection, puts them back, and hands the connection
 * to HTTP/2 when they are the preface, to Node's HTTP/1.1 parser otherwise. A connection that has
 * not sent enough to tell within the first head's limit (`REQUEST_HEADERS_TIMEOUT`) is closed with
 * one line, as Node's parser would have closed it had it been handed the connection at once; one
 * handed to HTTP/2 has what is left of that limit for its first request head.
 */
function routeByPreface(server: Http1Server, http2: Http2Transport): void {
  const http1 = takeListener(server, 'connection');
  const limit = http2.headLimit;
  server.prependListener('connection', (socket: Socket) => {
    const acceptedAt = performance.now();
    let seen: Buffer = Buffer.alloc(0);
    // A deadline, not socket.setTimeout(): that one counts silence, which a byte now and then resets.
    const timer =
      limit === null ? null : setTimeout(() => http2.dropUnrouted(socket, seen.length > 0), limit.ms);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, PREFACE_START.length);
      const isPreface = seen.subarray(0, compared).equals(PREFACE_START.subarray(0, compared));
      if (isPreface && compared < PREFACE_START.length) return;
      stop();
      if (isPreface) {
        http2.accept(replayingStream(socket, seen), acceptedAt);
        return;
      }
      socket.pause();
      socket.unshift(seen);
      http1.call(server, socket);
      socket.resume();
    };
    const stop = (): void => {
      if (timer !== null) clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', stop);
      socket.off('close', stop);
    };
    // Node's server keeps a socket open after the peer's FIN (allowHalfOpen); nobody would end it.
    const onEnd = (): void => {
      stop();
      socket.destroy();
    };
    socket.on('data', onData);
    // A connection that ends, fails or closes before it can be told apart is nobody's.
    socket.on('end', onEnd);
    socket.on('error', stop);
    socket.on('close', stop);
  });
}

/**
 * `socket` as a stream that first gives `first` again. Node's HTTP/1.1 parser reads bytes put back
 * with `unshift`, but its HTTP/2 session reads the socket's handle directly and would miss them:
 * an h2c connection is served through this wrapper (Node runs HTTP/2 on any Duplex), which costs a
 * copy per chunk, the price of sharing a cleartext port with HTTP/1.1.
 */
function replayingStream(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  // What the request builder reads of a connection: the peer, the port, and that it is cleartext.
  Object.defineProperties(stream, {
    remoteAddress: { get: () => socket.remoteAddress },
    localPort: { get: () => socket.localPort },
    encrypted: { value: false },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (error) => stream.destroy(error));
  socket.on('close', () => stream.destroy());
  return stream;
}
