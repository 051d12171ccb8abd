/**
 * A WebSocket on an HTTP/2 stream (RFC 8441): the extended CONNECT's answer, and `ws` run on the
 * stream. handshake.ts calls {@link upgradeStream} at its step 3 when the request came as an HTTP/2
 * extended CONNECT; everything before (the checks, the subprotocol) and after (`request.websocket`)
 * is the same as for an HTTP/1.1 upgrade.
 *
 * `ws` has no RFC 8441 support, but its WebSocket runs on any Duplex: `WebSocketServer` itself, after
 * writing the `101`, makes a server-side `WebSocket` with `new WebSocket(null, undefined, options)`
 * and hands it the socket with `setSocket(socket, head, options)`. Here the socket is the stream,
 * and the `101` is `:status 200`. An Http2Stream has `setTimeout` but no `setNoDelay`, which ws
 * calls only when present. The negotiation ws does in `handleUpgrade` (permessage-deflate) is done
 * here with ws's own parser and extension class, so the parameters agreed are the ones ws would.
 */
import {
  escapeForLog,
  HttpResponse,
  type Http2UpgradeContext,
  type HttpRequest,
  type RequestApp,
} from '@manouche/core';
import { constants, type OutgoingHttpHeaders } from 'node:http2';
import type { Duplex } from 'node:stream';
import WebSocket, { type ServerOptions } from 'ws';
import { HandshakeStatus } from './constants';
import { HandshakeRefusal, logRefusal, serverFor } from './handshake';

/** What ws exports besides its public types: its extension header parser and permessage-deflate. */
interface WsExtensionSupport {
  extension: {
    parse(header: string): Record<string, Array<Record<string, unknown>>>;
    format(extensions: Record<string, Array<Record<string, unknown>>>): string;
  };
  PerMessageDeflate: {
    new (options: Record<string, unknown>): PerMessageDeflate;
    readonly extensionName: string;
  };
}

interface PerMessageDeflate {
  accept(offers: Array<Record<string, unknown>>): Record<string, unknown>;
  readonly params: Record<string, unknown>;
}

/** The server side of a ws WebSocket, as `WebSocketServer.completeUpgrade` sets it up. */
interface ServerSideWebSocket extends WebSocket {
  _protocol: string;
  _extensions: Record<string, PerMessageDeflate>;
  setSocket(socket: Duplex, head: Buffer, options: Record<string, unknown>): void;
}

/** The options a ws server was made with, as it hands them to its WebSockets. */
type WsServerOptions = ServerOptions & {
  WebSocket: new (address: null, protocols: undefined, options: ServerOptions) => WebSocket;
  allowSynchronousEvents?: boolean;
  maxBufferedChunks?: number;
  maxFragments?: number;
};

const ws = WebSocket as unknown as WsExtensionSupport;
const NO_HEAD = Buffer.alloc(0);
const ACCEPTED = 200;

/**
 * Answers the extended CONNECT `:status 200` (with the subprotocol and the extensions agreed) and
 * runs a ws WebSocket on the stream. Returns the open WebSocket, or the refusal (logged) when the
 * `Sec-WebSocket-Extensions` offer can't be accepted: then nothing was written and the refusal goes
 * out through the middleware like any other.
 */
export function upgradeStream(
  request: HttpRequest,
  app: RequestApp,
  upgrade: Http2UpgradeContext,
  protocol: string | null,
): WebSocket | HttpResponse {
  const stream = upgrade.socket;
  const options = serverFor(app).options as WsServerOptions;
  let extensions: Record<string, PerMessageDeflate>;
  try {
    extensions = negotiateExtensions(request, options);
  } catch {
    const refused = new HandshakeRefusal(
      HandshakeStatus.BAD_REQUEST,
      'invalid or unacceptable Sec-WebSocket-Extensions header',
    );
    logRefusal(request, refused);
    return refused;
  }
  upgrade.upgraded = true;
  if (stream.destroyed || !stream.writable) {
    app.logger.warn(
      `Bad Request: WebSocket handshake to ${escapeForLog(request.path)} refused: the client reset the stream`,
    );
    return new HttpResponse('', { status: HandshakeStatus.BAD_REQUEST });
  }
  const headers: OutgoingHttpHeaders = { [constants.HTTP2_HEADER_STATUS]: ACCEPTED };
  if (protocol !== null) headers['sec-websocket-protocol'] = protocol;
  const deflate = extensions[ws.PerMessageDeflate.extensionName];
  if (deflate !== undefined)
    headers['sec-websocket-extensions'] = ws.extension.format({
      [ws.PerMessageDeflate.extensionName]: [deflate.params],
    });
  stream.respond(headers);
  const socket = new options.WebSocket(null, undefined, options) as ServerSideWebSocket;
  if (protocol !== null) socket._protocol = protocol;
  socket._extensions = extensions;
  socket.setSocket(stream, NO_HEAD, {
    allowSynchronousEvents: options.allowSynchronousEvents,
    maxBufferedChunks: options.maxBufferedChunks,
    maxFragments: options.maxFragments,
    maxPayload: options.maxPayload,
    skipUTF8Validation: options.skipUTF8Validation,
  });
  return socket;
}

/** permessage-deflate, when enabled and offered, as ws's `handleUpgrade` accepts it; throws on a bad offer. */
function negotiateExtensions(
  request: HttpRequest,
  options: WsServerOptions,
): Record<string, PerMessageDeflate> {
  const header = request.headers.get('sec-websocket-extensions');
  if (!options.perMessageDeflate || header === null) return {};
  const name = ws.PerMessageDeflate.extensionName;
  const offers = ws.extension.parse(header)[name];
  if (offers === undefined) return {};
  const deflate = new ws.PerMessageDeflate({
    ...(options.perMessageDeflate === true ? {} : options.perMessageDeflate),
    isServer: true,
    maxPayload: options.maxPayload,
  });
  deflate.accept(offers);
  return { [name]: deflate };
}
