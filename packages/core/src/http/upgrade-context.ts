import type { IncomingMessage } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';

/**
 * What carries a WebSocket handshake, set by the server (`null` for plain HTTP): an HTTP/1.1
 * `Upgrade` request and its socket, or an HTTP/2 extended CONNECT (RFC 8441) and its stream.
 */
export type UpgradeContext = Http1UpgradeContext | Http2UpgradeContext;

/**
 * An HTTP/1.1 `Upgrade` request: its raw socket, which the `101` hands over. What only the handshake
 * needs is released when the socket is handed over, so a long-lived connection does not keep its
 * parsed request alive.
 */
export interface Http1UpgradeContext {
  readonly transport?: 'http/1.1';
  readonly socket: Duplex;
  /** Node's parsed request and the bytes that followed its head; `null` once handed over. */
  readonly handshake: { readonly incoming: IncomingMessage; readonly head: Buffer } | null;
  /** Whether the socket was handed over (the `101` written): no HTTP bytes may be written any more. */
  readonly upgraded: boolean;
  /**
   * Whoever takes the socket over (writes the `101`) calls this: from then on no HTTP bytes may be
   * written to it, and the server lets go of the handshake and of its own error listener.
   */
  handOver(): void;
}

/**
 * An HTTP/2 extended CONNECT with `:protocol` `websocket` (RFC 8441): the stream carries the
 * WebSocket once answered `:status 200`. It reaches views as a `GET` with the WebSocket headers the
 * client sent (no `Sec-WebSocket-Key`: HTTP/2 has none), as an HTTP/1.1 handshake does.
 */
export interface Http2UpgradeContext {
  readonly transport: 'h2';
  /** The stream (a `ServerHttp2Stream`): the WebSocket's frames travel in its DATA frames. */
  readonly socket: ServerHttp2Stream;
  /** Set by whoever answered `:status 200`; from then on no HTTP response may be written. */
  upgraded: boolean;
}
