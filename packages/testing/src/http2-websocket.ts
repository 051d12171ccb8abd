import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';

/** What ws exports besides its public types: the extension header parser and permessage-deflate. */
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
  offer(): Record<string, unknown>;
  accept(response: Array<Record<string, unknown>>): Record<string, unknown>;
}

/** A client-side ws WebSocket set up on a stream, as ws's own client does on its socket. */
interface StreamWebSocket extends WebSocket {
  _isServer: boolean;
  _protocol: string;
  _extensions: Record<string, PerMessageDeflate>;
  setSocket(socket: Duplex, head: Buffer, options: Record<string, unknown>): void;
}

/** ws's constructor without an address: a WebSocket waiting for `setSocket`. */
type UnattachedWebSocket = new (address: null, protocols: undefined, options: object) => StreamWebSocket;

const ws = WebSocket as unknown as WsExtensionSupport;
const MAX_PAYLOAD = 100 * 1024 * 1024;

/** How an extended CONNECT went: the WebSocket when answered 200, else the status. */
export interface Http2WebSocketResult {
  status: number;
  socket: WebSocket | null;
  session: ClientHttp2Session;
}

/** What the extended CONNECT carries besides the pseudo-headers. */
export interface Http2WebSocketRequest {
  subprotocols: readonly string[];
  headers: Record<string, string>;
  origin: string | undefined;
}

/**
 * Opens a WebSocket over HTTP/2 (RFC 8441): a session to the URL's origin (`wss:` over TLS, `ws:`
 * as h2c; self-signed certificates accepted, this is a test client), an extended CONNECT with
 * `:protocol` `websocket`, and, once answered 200, a ws WebSocket in client mode (masking its frames)
 * running on the stream, with permessage-deflate offered as ws's own client offers it.
 */
export async function openHttp2WebSocket(
  url: string,
  request: Partial<Http2WebSocketRequest> = {},
  existing?: ClientHttp2Session,
): Promise<Http2WebSocketResult> {
  const target = new URL(url);
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const session = existing ?? (await openHttp2Session(`${secure ? 'https' : 'http'}://${target.host}`));
  const deflate = new ws.PerMessageDeflate({ isServer: false, maxPayload: MAX_PAYLOAD });
  const name = ws.PerMessageDeflate.extensionName;
  const headers: OutgoingHttpHeaders = {
    ...(request.headers ?? {}),
    [constants.HTTP2_HEADER_METHOD]: 'CONNECT',
    ':protocol': 'websocket',
    [constants.HTTP2_HEADER_SCHEME]: secure ? 'https' : 'http',
    [constants.HTTP2_HEADER_PATH]: `${target.pathname}${target.search}`,
    [constants.HTTP2_HEADER_AUTHORITY]: target.host,
    'sec-websocket-version': '13',
    'sec-websocket-extensions': ws.extension.format({ [name]: [deflate.offer()] }),
  };
  const subprotocols = request.subprotocols ?? [];
  if (subprotocols.length > 0) headers['sec-websocket-protocol'] = subprotocols.join(', ');
  if (request.origin !== undefined) headers.origin = request.origin;
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => undefined);
  const answer = await new Promise<IncomingHttpHeaders | null>((resolve) => {
    stream.once('response', (received) => resolve(received));
    stream.once('close', () => resolve(null));
  });
  const status = answer === null ? 0 : Number(answer[constants.HTTP2_HEADER_STATUS]);
  if (answer === null || status !== 200) {
    stream.resume();
    return { status, socket: null, session };
  }
  return { status, socket: webSocketOn(stream, answer, deflate), session };
}

/**
 * An HTTP/2 session to `origin` (self-signed certificates accepted), once the server's SETTINGS have
 * come: an extended CONNECT may be sent only after they say `SETTINGS_ENABLE_CONNECT_PROTOCOL`.
 */
export async function openHttp2Session(origin: string): Promise<ClientHttp2Session> {
  const session = connect(origin, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
    session.once('close', () => reject(new Error('the HTTP/2 connection closed before its SETTINGS came')));
  });
  return session;
}

function webSocketOn(
  stream: ClientHttp2Stream,
  answer: IncomingHttpHeaders,
  deflate: PerMessageDeflate,
): WebSocket {
  // autoPong: answer the server's pings, as ws's own client does by default.
  const socket = new (WebSocket as unknown as UnattachedWebSocket)(null, undefined, { autoPong: true });
  // Made like a server-side socket (no address), then turned into a client: its frames are masked.
  socket._isServer = false;
  const protocol = answer['sec-websocket-protocol'];
  if (protocol !== undefined) socket._protocol = protocol;
  const extensions = answer['sec-websocket-extensions'];
  if (extensions !== undefined) {
    const name = ws.PerMessageDeflate.extensionName;
    const agreed = ws.extension.parse(extensions)[name];
    if (agreed !== undefined) {
      deflate.accept(agreed);
      socket._extensions = { [name]: deflate };
    }
  }
  socket.setSocket(stream, Buffer.alloc(0), { allowSynchronousEvents: true, maxPayload: MAX_PAYLOAD });
  return socket;
}
