/**
 * The opening handshake of a WebSocket, in the order it happens (as `ws`'s `handleUpgrade` does it,
 * in one pass):
 *
 * 1. check the request: RFC 6455 section 4.2.1 (RFC 8441's subset over HTTP/2), then the `Origin`;
 * 2. choose the subprotocol;
 * 3. upgrade the socket through `ws`, which writes the `101` (over HTTP/2, h2-upgrade.ts answers
 *    the stream `:status 200` and runs `ws` on it);
 * 4. set `request.websocket`.
 *
 * {@link acceptHandshake} runs the four steps, and the file follows them. A handshake refused at any
 * step is an ordinary HTTP response with an empty body and one log line, never a 500. From step 4
 * on the connection is connection.ts's, and serve.ts runs the view on it.
 */
import {
  escapeForLog,
  HttpResponse,
  loggerOf,
  type RequestApp,
  type HttpRequest,
  type ResolvedSettings,
  type Http1UpgradeContext,
} from '@manouche/core';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { WebSocketConnection } from './connection';
import { HandshakeStatus, WEBSOCKET_VERSION } from './constants';
import { upgradeStream } from './h2-upgrade';
import { connectionContextOf } from './serve';

/**
 * Accepts the WebSocket for `request` (a request for which `request.isWebsocket()` is true) with one
 * of `viewProtocols`: checks the handshake, writes the `101` through `ws` and sets
 * `request.websocket`. Returns the refusal instead when the handshake is bad (logged, never a 500),
 * or `null` once accepted. Never writes a second `101`.
 */
export function acceptHandshake(request: HttpRequest, viewProtocols: readonly string[]): HttpResponse | null {
  const upgrade = request.upgrade;
  if (upgrade !== null && upgrade.upgraded) return null;

  // 1. Check the request. `app` is null when a view is called directly (a RequestFactory request):
  // there is no socket either.
  const app = request.app;
  if (upgrade === null || app === null)
    return refuseAndLog(request, 'the request reached the view without its socket, so it cannot be upgraded');
  const refused = refuseAndLog(request, null);
  if (refused !== null) return refused;

  // 2. Choose the subprotocol.
  const protocol = chooseProtocol(request, viewProtocols);

  // 3. Upgrade the socket: ws checks what it parses itself and writes the 101 (over HTTP/2, the
  // stream is answered :status 200 and ws runs on it).
  const socket =
    upgrade.transport === 'h2'
      ? upgradeStream(request, app, upgrade, protocol)
      : upgradeSocket(request, app, upgrade, protocol);
  if (socket instanceof HttpResponse) return socket;

  // 4. Set request.websocket: the view runs next, with the open connection.
  request.websocket = new WebSocketConnection(
    socket,
    upgrade.socket,
    connectionContextOf(app),
    escapeForLog(request.path),
    upgrade.transport ?? 'http/1.1',
  );
  return null;
}

// 1. Check the request ---------------------------------------------------------------------------

const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Checks an opening handshake (RFC 6455 section 4.2.1) and the `Origin`. Returns the refusal, or
 * `null` when the handshake may go ahead. A refusal is never a 500: 400 for a malformed request, 426
 * (with `Sec-WebSocket-Version: 13`) for another version, 403 for a foreign origin.
 */
export function refuseHandshake(request: HttpRequest, settings: ResolvedSettings): HandshakeRefusal | null {
  if (request.method !== 'GET')
    return refusal(HandshakeStatus.BAD_REQUEST, `a WebSocket handshake must be a GET, not ${request.method}`);
  // An HTTP/2 extended CONNECT has neither Connection nor Sec-WebSocket-Key (RFC 8441 section 5).
  if (request.upgrade?.transport !== 'h2') {
    const malformed = refuseHttp1Handshake(request);
    if (malformed !== null) return malformed;
  }
  return refuseVersionOrOrigin(request, settings);
}

/** RFC 6455's HTTP/1.1-only rules: `Connection: upgrade` and a well-formed `Sec-WebSocket-Key`. */
function refuseHttp1Handshake(request: HttpRequest): HandshakeRefusal | null {
  const connection = request.headers.get('connection') ?? '';
  if (
    !connection
      .toLowerCase()
      .split(',')
      .some((token) => token.trim() === 'upgrade')
  ) {
    return refusal(HandshakeStatus.BAD_REQUEST, 'the Connection header must contain "upgrade"');
  }
  const key = request.headers.get('sec-websocket-key');
  if (key === null || !KEY_PATTERN.test(key.trim()))
    return refusal(HandshakeStatus.BAD_REQUEST, 'missing or invalid Sec-WebSocket-Key');
  return null;
}

function refuseVersionOrOrigin(request: HttpRequest, settings: ResolvedSettings): HandshakeRefusal | null {
  const version = request.headers.get('sec-websocket-version');
  if (version?.trim() !== WEBSOCKET_VERSION) {
    const response = refusal(
      HandshakeStatus.UPGRADE_REQUIRED,
      `unsupported Sec-WebSocket-Version ${JSON.stringify(version)}; this server speaks 13`,
    );
    response.headers.set('Sec-WebSocket-Version', WEBSOCKET_VERSION);
    return response;
  }
  const origin = request.headers.get('origin');
  if (origin !== null && !isOriginAllowed(origin, request, settings)) {
    const why =
      settings.WEBSOCKET_ALLOWED_ORIGINS == null
        ? `is not this site's own (${JSON.stringify(ownOrigin(request))}); WEBSOCKET_ALLOWED_ORIGINS can allow others`
        : 'is not in WEBSOCKET_ALLOWED_ORIGINS';
    return refusal(HandshakeStatus.FORBIDDEN, `origin ${JSON.stringify(origin)} ${why}`);
  }
  return null;
}

/**
 * Whether a handshake's `Origin` may open a WebSocket. `WEBSOCKET_ALLOWED_ORIGINS` lists origins as
 * browsers send them; `'*'` allows all. Unset, only the site's own origin is allowed, compared as a
 * browser compares origins: scheme, host and port. The site's own is the request's: `https` when
 * `request.isSecure()` (behind a proxy, see `SECURE_PROXY_SSL_HEADER`), else `http`, and its `Host`
 * (which `ALLOWED_HOSTS` has already checked). Another port of the same host is another origin.
 */
export function isOriginAllowed(origin: string, request: HttpRequest, settings: ResolvedSettings): boolean {
  const allowed = settings.WEBSOCKET_ALLOWED_ORIGINS;
  const normalized = origin.trim().toLowerCase();
  if (allowed !== undefined && allowed !== null) {
    return allowed.some((entry) => entry === '*' || entry.toLowerCase().replace(/\/$/, '') === normalized);
  }
  const own = ownOrigin(request);
  try {
    // `URL.origin` drops a default port (`:80` for http) and is 'null' for opaque origins.
    return own !== null && new URL(normalized).origin === own;
  } catch {
    return false;
  }
}

/** The request's own origin (`http://127.0.0.1:8000`), or `null` when its host makes no URL. */
function ownOrigin(request: HttpRequest): string | null {
  try {
    return new URL(`${request.isSecure() ? 'https' : 'http'}://${request.rawHost()}`).origin;
  } catch {
    return null;
  }
}

/** A refused handshake: the status, an empty body, the reason kept for the log line. */
export class HandshakeRefusal extends HttpResponse {
  constructor(
    status: number,
    readonly reason: string,
  ) {
    super('', { status, contentType: 'text/plain; charset=utf-8' });
  }
}

function refusal(status: number, reason: string): HandshakeRefusal {
  return new HandshakeRefusal(status, reason);
}

const REFUSAL_LABELS: Record<number, string> = {
  [HandshakeStatus.BAD_REQUEST]: 'Bad Request',
  [HandshakeStatus.FORBIDDEN]: 'Forbidden',
  [HandshakeStatus.UPGRADE_REQUIRED]: 'Upgrade Required',
};

/** The one log line of a refused handshake: `Forbidden: WebSocket handshake to /chat/ refused: ...`. */
export function logRefusal(request: HttpRequest, refusal: HandshakeRefusal): void {
  const label = REFUSAL_LABELS[refusal.statusCode] ?? 'Client Error';
  loggerOf(request).warn(
    `${label}: WebSocket handshake to ${escapeForLog(request.path)} refused: ${escapeForLog(refusal.reason)}`,
  );
}

/**
 * The refusal for `request`, logged: a malformed handshake's own (400/426/403), else, when
 * `otherwise` names a reason, a 400 for that reason; `null` when the handshake may go ahead. The
 * one place that decides and reports a refused handshake (the middleware uses it too).
 */
export function refuseAndLog(request: HttpRequest, otherwise: string): HandshakeRefusal;
export function refuseAndLog(request: HttpRequest, otherwise: string | null): HandshakeRefusal | null;
export function refuseAndLog(request: HttpRequest, otherwise: string | null): HandshakeRefusal | null {
  const settings = request.app?.settings;
  const refused =
    (settings === undefined ? null : refuseHandshake(request, settings)) ??
    (otherwise === null ? null : refusal(HandshakeStatus.BAD_REQUEST, otherwise));
  if (refused !== null) logRefusal(request, refused);
  return refused;
}

// 2. Choose the subprotocol ----------------------------------------------------------------------

/** The first of the view's protocols (in its preference order) that the client offered, or `null`. */
export function chooseProtocol(request: HttpRequest, viewProtocols: readonly string[]): string | null {
  const header = request.headers.get('sec-websocket-protocol');
  if (header === null || viewProtocols.length === 0) return null;
  const offered = new Set(header.split(',').map((token) => token.trim()));
  return viewProtocols.find((protocol) => offered.has(protocol)) ?? null;
}

// 3. Upgrade the socket through ws ---------------------------------------------------------------

// What travels between upgradeSocket and the ws server on the IncomingMessage: the protocol chosen
// in step 2 (ws asks for it through handleProtocols), and ws's reason for refusing a header.
const CHOSEN_PROTOCOL = Symbol('manouche.chosenProtocol');
const WS_REFUSAL = Symbol('manouche.wsRefusal');

type IncomingWithProtocol = IncomingMessage & { [CHOSEN_PROTOCOL]?: string | null; [WS_REFUSAL]?: string };

/**
 * Hands the socket to `ws`, which writes the `101` with `protocol`. Returns the open socket, or the
 * answer (logged) when `ws` would not take the handshake: a header it cannot parse is a 400 that
 * goes out like any refusal; when `ws` answered by itself, or the client left, nothing more may be
 * written.
 */
function upgradeSocket(
  request: HttpRequest,
  app: RequestApp,
  upgrade: Http1UpgradeContext,
  protocol: string | null,
): WebSocket | HttpResponse {
  const { incoming, head } = upgrade.handshake!;
  (incoming as IncomingWithProtocol)[CHOSEN_PROTOCOL] = protocol;
  let accepted: WebSocket | null = null;
  // ws writes the 101 synchronously (no verifyClient), so `accepted` is set when this returns.
  serverFor(app).handleUpgrade(incoming, upgrade.socket, head, (socket) => {
    accepted = socket;
  });
  const wsRefusal = (incoming as IncomingWithProtocol)[WS_REFUSAL];
  if (accepted === null && wsRefusal !== undefined) {
    // ws wrote nothing: the socket is still ours, and the refusal an ordinary HTTP response.
    const refused = new HandshakeRefusal(HandshakeStatus.BAD_REQUEST, wsRefusal);
    logRefusal(request, refused);
    return refused;
  }
  // From here on the socket is ws's: whatever happened, no HTTP bytes may be written by us.
  upgrade.handOver();
  if (accepted === null) {
    // ws answered itself (503 while shutting down) or found the socket already gone.
    app.logger.warn(
      `Bad Request: WebSocket handshake to ${escapeForLog(request.path)} refused: the server is closing or the client left`,
    );
    return new HttpResponse('', { status: HandshakeStatus.BAD_REQUEST });
  }
  return accepted;
}

/** Each application's `ws` servers (noServer mode), one per option set. */
const serversByApp = new WeakMap<RequestApp, Map<string, WebSocketServer>>();

/** The `ws` server for the settings in force now; settings are read per handshake. */
export function serverFor(app: RequestApp): WebSocketServer {
  const settings = app.settings;
  const servers = serversByApp.get(app) ?? createServers(app);
  const key = `${settings.WEBSOCKET_MAX_MESSAGE_SIZE}:${settings.WEBSOCKET_PER_MESSAGE_DEFLATE}:${settings.WEBSOCKET_CLOSE_TIMEOUT}`;
  let server = servers.get(key);
  if (server === undefined) {
    const options: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      maxPayload: settings.WEBSOCKET_MAX_MESSAGE_SIZE,
      perMessageDeflate: settings.WEBSOCKET_PER_MESSAGE_DEFLATE,
      // From close() on, a peer has this long to answer the close frame before its socket is
      // destroyed: what a peer that stopped reading holds is released then at the latest. (@types/ws
      // does not declare the option yet.)
      closeTimeout: settings.WEBSOCKET_CLOSE_TIMEOUT,
      handleProtocols: (_offered, incoming) => (incoming as IncomingWithProtocol)[CHOSEN_PROTOCOL] ?? false,
    };
    server = new WebSocketServer(options);
    // With a listener, ws reports a header it cannot accept (a malformed Sec-WebSocket-Protocol or
    // Sec-WebSocket-Extensions...) instead of writing its own 400: the refusal then goes out through
    // the middleware stack like any other, with one log line that says why.
    server.on('wsClientError', (error: Error, _socket: unknown, incoming: IncomingMessage) => {
      (incoming as IncomingWithProtocol)[WS_REFUSAL] = error.message;
    });
    servers.set(key, server);
  }
  return server;
}

/** The first handshake of `app`: its map of `ws` servers, emptied by `app.close()`. */
function createServers(app: RequestApp): Map<string, WebSocketServer> {
  const servers = new Map<string, WebSocketServer>();
  serversByApp.set(app, servers);
  // A closed ws server refuses every upgrade (503): an application that listens again gets new ones.
  // In noServer mode, without client tracking, a ws server holds no socket and closing one is
  // bookkeeping: the connections it opened are closed by their own hook (connection.ts).
  app.onClose(() => {
    for (const server of servers.values()) server.close();
    servers.clear();
  });
  return servers;
}
