import {
  HttpResponse,
  type Application,
  type HttpRequest,
  type ResolvedSettings,
  type UpgradeContext,
} from '@manouche/core';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { WebSocketConnection } from './connection';
import { CloseCode, HandshakeStatus } from './constants';
import { chooseProtocol, HandshakeRefusal, logRefusal, refuseAndLog } from './handshake';

/** Per-application state: one `ws` server per option set, and the open connections. */
interface AppState {
  readonly servers: Map<string, WebSocketServer>;
  readonly connections: Set<WebSocketConnection>;
}

const states = new WeakMap<object, AppState>();

/** How long `Application.close()` waits for peers to answer the 1001 close frame before dropping them. */
export const CLOSE_TIMEOUT_MS = 5000;
const CHOSEN_PROTOCOL = Symbol('manouche.chosenProtocol');
const WS_REFUSAL = Symbol('manouche.wsRefusal');

type IncomingWithProtocol = IncomingMessage & { [CHOSEN_PROTOCOL]?: string | null; [WS_REFUSAL]?: string };

function stateOf(app: Application): AppState {
  let state = states.get(app);
  if (state === undefined) {
    const created: AppState = { servers: new Map(), connections: new Set() };
    states.set(app, created);
    // Application.close(): every open WebSocket gets a close frame with 1001 ("going away"); a peer
    // that has not answered it within CLOSE_TIMEOUT_MS is dropped, so close() never hangs on one.
    app.onClose(async () => {
      const open = [...created.connections];
      for (const connection of open) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
      const ended = Promise.all(open.map((connection) => connection.ended));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        timer.unref();
      });
      await Promise.race([ended, timeout]);
      clearTimeout(timer);
      for (const connection of open) connection.terminate();
      await ended;
      for (const server of created.servers.values()) server.close();
      // A closed ws server refuses every upgrade (503): an application that listens again gets new ones.
      created.servers.clear();
    });
    state = created;
  }
  return state;
}

/** The `ws` server (noServer mode) for the settings in force now; settings are read per handshake. */
function serverFor(state: AppState, settings: ResolvedSettings): WebSocketServer {
  const key = `${settings.WEBSOCKET_MAX_MESSAGE_SIZE}:${settings.WEBSOCKET_PER_MESSAGE_DEFLATE}`;
  let server = state.servers.get(key);
  if (server === undefined) {
    server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: settings.WEBSOCKET_MAX_MESSAGE_SIZE,
      perMessageDeflate: settings.WEBSOCKET_PER_MESSAGE_DEFLATE,
      handleProtocols: (_offered, incoming) => (incoming as IncomingWithProtocol)[CHOSEN_PROTOCOL] ?? false,
    });
    // With a listener, ws reports a header it cannot accept (a malformed Sec-WebSocket-Protocol or
    // Sec-WebSocket-Extensions...) instead of writing its own 400: the refusal then goes out through
    // the middleware stack like any other, with one log line that says why.
    server.on('wsClientError', (error: Error, _socket: unknown, incoming: IncomingMessage) => {
      (incoming as IncomingWithProtocol)[WS_REFUSAL] = error.message;
    });
    state.servers.set(key, server);
  }
  return server;
}

/**
 * Accepts the WebSocket for `request`: checks the handshake, writes the `101` through `ws` and sets
 * `request.websocket`. Returns the refusal instead when the handshake is bad (logged, never a 500),
 * or `null` once accepted. Never writes a second `101`.
 */
export function acceptHandshake(request: HttpRequest, viewProtocols: readonly string[]): HttpResponse | null {
  const upgrade = request.upgrade;
  if (upgrade !== null && upgrade.upgraded) return null;
  // `app` is null when a view is called directly (a RequestFactory request): there is no socket either.
  const app = request.app as Application | null;
  const refused = refuseAndLog(
    request,
    upgrade === null || app === null
      ? 'the request reached the view without its socket, so it cannot be upgraded'
      : null,
  );
  if (refused !== null) return refused;
  return upgradeSocket(request, upgrade!, app!, viewProtocols);
}

function upgradeSocket(
  request: HttpRequest,
  upgrade: UpgradeContext,
  app: Application,
  viewProtocols: readonly string[],
): HttpResponse | null {
  const state = stateOf(app);
  const settings = app.settings;
  const incoming = upgrade.incoming as IncomingWithProtocol;
  incoming[CHOSEN_PROTOCOL] = chooseProtocol(request, viewProtocols);
  let accepted: WebSocket | null = null;
  // ws writes the 101 synchronously (no verifyClient), so `accepted` is set when this returns.
  serverFor(state, settings).handleUpgrade(upgrade.incoming, upgrade.socket, upgrade.head, (socket) => {
    accepted = socket;
  });
  const wsRefusal = incoming[WS_REFUSAL];
  if (accepted === null && wsRefusal !== undefined) {
    // ws wrote nothing: the socket is still ours, and the refusal an ordinary HTTP response.
    const refused = new HandshakeRefusal(HandshakeStatus.BAD_REQUEST, wsRefusal);
    logRefusal(request, refused);
    return refused;
  }
  // From here on the socket is ws's: whatever happened, no HTTP bytes may be written by us.
  upgrade.upgraded = true;
  if (accepted === null) {
    // ws answered itself (503 while shutting down) or found the socket already gone.
    app.logger.warn(
      `Bad Request: WebSocket handshake to ${request.path} refused: the server is closing or the client left`,
    );
    return new HttpResponse('', { status: HandshakeStatus.BAD_REQUEST });
  }
  const connection = new WebSocketConnection(accepted, {
    pingInterval: settings.WEBSOCKET_PING_INTERVAL,
    logger: app.logger,
    path: request.path,
  });
  state.connections.add(connection);
  void connection.ended.then(() => state.connections.delete(connection));
  request.websocket = connection;
  return null;
}

/**
 * Runs a WebSocket view's body on an accepted connection: the view returning closes with 1000, the
 * view throwing closes with 1011 and rethrows (so `processException` sees it). Resolves, once the
 * connection has ended, to the `101` response the outgoing middleware sees.
 */
export async function serveConnection(request: HttpRequest, body: () => unknown): Promise<HttpResponse> {
  const connection = request.websocket as WebSocketConnection;
  try {
    await body();
  } catch (error) {
    connection.close(CloseCode.INTERNAL_ERROR, 'internal error');
    await connection.ended;
    throw error;
  }
  connection.close(CloseCode.NORMAL);
  await connection.ended;
  return switchingProtocols(connection);
}

function switchingProtocols(connection: WebSocketConnection): HttpResponse {
  const response = new HttpResponse('', { status: HandshakeStatus.SWITCHING_PROTOCOLS });
  response.headers.delete('Content-Type');
  response.headers.set('Upgrade', 'websocket');
  response.headers.set('Connection', 'Upgrade');
  if (connection.protocol) response.headers.set('Sec-WebSocket-Protocol', connection.protocol);
  return response;
}
