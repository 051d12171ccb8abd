import type { Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { HttpRequest } from '../http/request';
import type { Http2UpgradeContext } from '../http/upgrade-context';
import { splitTarget } from './incoming';

/** Where a connection comes from and arrives: what `META` says of it. */
interface Peer {
  readonly remoteAddress: string | undefined;
  readonly localPort: number | undefined;
}

// Node serves an h2c connection (handed over as a plain Duplex) through a socket of its own that
// knows no addresses: the server notes them per session when it accepts the connection.
const peers = new WeakMap<Http2Session, Peer>();

/** Notes where `session`'s connection comes from: `socket` is the connection as accepted. */
export function rememberPeer(session: Http2Session, socket: Partial<Peer>): void {
  peers.set(session, { remoteAddress: socket.remoteAddress, localPort: socket.localPort });
}

/**
 * Builds the `HttpRequest` for an HTTP/2 stream the same way `requestFromIncoming` does for an
 * HTTP/1.1 message. The pseudo-headers never reach the request: `:method` and `:path` become the
 * method, path and query, `:authority` the `Host` (RFC 9113 8.3.1: it replaces Host), and
 * `:scheme`/`:protocol` are read by the server only. Node joins a cookie split across several
 * `cookie` fields (RFC 9113 8.2.3) with `; `, so `COOKIES` sees one header as over HTTP/1.1.
 *
 * An extended CONNECT (`upgrade` given) reaches views as the `GET` an HTTP/1.1 handshake is.
 */
export function requestFromHttp2Stream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  upgrade: Http2UpgradeContext | null,
): HttpRequest {
  const fields: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === COLON) continue;
    const value = headers[name];
    if (value !== undefined) fields[name] = value;
  }
  const authority = headers[':authority'];
  if (authority !== undefined) fields.host = authority;
  const { path, queryString } = splitTarget(headers[':path'] ?? '/');
  const socket = stream.session?.socket;
  // A TLS socket knows its addresses; an h2c connection's are the ones noted when it was accepted.
  const peer: Partial<Peer> | undefined =
    socket?.remoteAddress !== undefined ? socket : peers.get(stream.session!);
  return new HttpRequest({
    method: upgrade === null ? headers[':method'] : 'GET',
    path,
    queryString,
    headers: fields,
    headersAreLowerCase: true,
    scheme: (socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http',
    remoteAddress: peer?.remoteAddress,
    serverPort: peer?.localPort,
    upgrade,
    serverProtocol: 'HTTP/2.0',
  });
}

const COLON = 0x3a;
