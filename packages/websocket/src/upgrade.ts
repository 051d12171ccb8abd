import {
  HttpResponse,
  type Application,
  type HttpRequest,
  type ResolvedSettings,
  type UpgradeContext,
} from '@manouche/core';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { trackConnection, WebSocketConnection } from './connection';
import { HandshakeStatus } from './constants';
import { chooseProtocol, HandshakeRefusal, logRefusal, refuseAndLog } from './handshake';

/** Each application's `ws` servers (noServer mode), one per option set. */
const serversByApp = new WeakMap<Application, Map<string, WebSocketServer>>();

const CHOSEN_PROTOCOL = Symbol('manouche.chosenProtocol');
const WS_REFUSAL = Symbol('manouche.wsRefusal');

type IncomingWithProtocol = IncomingMessage & { [CHOSEN_PROTOCOL]?: string | null; [WS_REFUSAL]?: string };

function serversOf(app: Application): Map<string, WebSocketServer> {
  let servers = serversByApp.get(app);
  if (servers === undefined) {
    const created = new Map<string, WebSocketServer>();
    serversByApp.set(app, created);
    // A closed ws server refuses every upgrade (503): an application that listens again gets new ones.
    // In noServer mode, without client tracking, a ws server holds no socket and closing one is
    // bookkeeping: the connections it opened are closed by their own hook (connection.ts).
    app.onClose(() => {
      for (const server of created.values()) server.close();
      created.clear();
    });
    servers = created;
  }
  return servers;
}

/** The `ws` server (noServer mode) for the settings in force now; settings are read per handshake. */
function serverFor(app: Application, settings: ResolvedSettings): WebSocketServer {
  const servers = serversOf(app);
  const key = `${settings.WEBSOCKET_MAX_MESSAGE_SIZE}:${settings.WEBSOCKET_PER_MESSAGE_DEFLATE}`;
  let server = servers.get(key);
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
    servers.set(key, server);
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
  const settings = app.settings;
  const incoming = upgrade.incoming as IncomingWithProtocol;
  incoming[CHOSEN_PROTOCOL] = chooseProtocol(request, viewProtocols);
  let accepted: WebSocket | null = null;
  // ws writes the 101 synchronously (no verifyClient), so `accepted` is set when this returns.
  serverFor(app, settings).handleUpgrade(upgrade.incoming, upgrade.socket, upgrade.head, (socket) => {
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
  trackConnection(app, connection);
  request.websocket = connection;
  return null;
}
