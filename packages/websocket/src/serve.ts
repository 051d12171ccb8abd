/**
 * A WebSocket connection's life around the view, once handshake.ts has opened it: the view body run
 * on it ({@link serveConnection}: closed with 1000 when it returns, 1011 when it throws), and the
 * open connections of each application, closed with 1001 by `Application.close()`
 * ({@link connectionContextOf}).
 */
import {
  HttpResponse,
  setViewEnding,
  type HttpRequest,
  type RequestApp,
  type ViewEnding,
} from '@manouche/core';
import { CloseCode, HandshakeStatus } from './constants';
import type { ConnectionContext, WebSocketConnection } from './connection';

/**
 * Runs a WebSocket view's body on the connection handshake.ts accepted: the view returning closes
 * with 1000, the view throwing closes with 1011 and rethrows (so `processException` sees it). Resolves,
 * once the connection has ended, to the `101` response the outgoing middleware sees.
 */
export function serveConnection(request: HttpRequest, body: () => unknown): Promise<HttpResponse> {
  // Promise chains rather than an async function: this waits as long as the connection lives, and a
  // suspended async function costs an idle connection several times what two reactions do.
  return runBody(body).then(
    (value) => CONNECTION_ENDING.returned(request, value),
    (error: unknown) => CONNECTION_ENDING.threw(request, error),
  ) as Promise<HttpResponse>;
}

/**
 * As {@link serveConnection}, for a view body the handler's view layer runs directly (no wrapper
 * between them that could see its answer): returns the body's own promise and leaves the closing
 * and the `101` to the view layer's reaction to it ({@link CONNECTION_ENDING}), so an idle
 * connection holds one reaction less.
 */
export function serveConnectionInViewLayer(request: HttpRequest, body: () => unknown): Promise<unknown> {
  setViewEnding(request, CONNECTION_ENDING);
  return runBody(body);
}

/** The body's answer as a promise; one that throws at once rejects it. */
function runBody(body: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The view body ended: close with 1000 (returned) or 1011 (threw), then the `101` or the exception. */
const CONNECTION_ENDING: ViewEnding = {
  returned(request) {
    const connection = request.websocket as WebSocketConnection;
    connection.close(CloseCode.NORMAL);
    return connection.ended.then(() => switchingProtocols(connection));
  },
  threw(request, error) {
    const connection = request.websocket as WebSocketConnection;
    connection.close(CloseCode.INTERNAL_ERROR, 'internal error');
    return connection.ended.then(() => {
      throw error;
    });
  },
};

/** The `101` as the outgoing middleware sees it; never written (ws wrote the real one). */
function switchingProtocols(connection: WebSocketConnection): HttpResponse {
  const response = new HttpResponse('', { status: HandshakeStatus.SWITCHING_PROTOCOLS });
  response.headers.delete('Content-Type');
  response.headers.set('Upgrade', 'websocket');
  response.headers.set('Connection', 'Upgrade');
  if (connection.protocol) response.headers.set('Sec-WebSocket-Protocol', connection.protocol);
  return response;
}

// The connections of each application -------------------------------------------------------------

/** Each application's open connections, and the context its connections share. */
interface AppConnections {
  readonly open: Set<WebSocketConnection>;
  context: ConnectionContext;
}

const connectionsByApp = new WeakMap<RequestApp, AppConnections>();

/**
 * The context a new connection of `app` shares with the others: the settings in force now (read per
 * handshake, so an override applies to the next connection) and the application's open connections.
 * The first connection registers the `onClose` hook that closes them all with 1001.
 */
export function connectionContextOf(app: RequestApp): ConnectionContext {
  const settings = app.settings;
  let connections = connectionsByApp.get(app);
  if (connections === undefined) {
    const open = new Set<WebSocketConnection>();
    connections = { open, context: makeContext(app, open) };
    connectionsByApp.set(app, connections);
    app.onClose(() => closeAll(open, app.settings.WEBSOCKET_CLOSE_TIMEOUT));
  }
  const context = connections.context;
  if (
    context.logger !== app.logger ||
    context.maxBuffered !== settings.WEBSOCKET_MAX_BUFFERED ||
    context.pingInterval !== settings.WEBSOCKET_PING_INTERVAL
  ) {
    connections.context = makeContext(app, connections.open);
  }
  return connections.context;
}

function makeContext(app: RequestApp, open: Set<WebSocketConnection>): ConnectionContext {
  return {
    logger: app.logger,
    maxBuffered: app.settings.WEBSOCKET_MAX_BUFFERED,
    pingInterval: app.settings.WEBSOCKET_PING_INTERVAL,
    open,
  };
}

/**
 * `Application.close()`: every open WebSocket gets a close frame with 1001 ("going away"); a peer that
 * has not answered it within `WEBSOCKET_CLOSE_TIMEOUT` is dropped, so close() never hangs on one.
 */
async function closeAll(connections: Set<WebSocketConnection>, timeoutMs: number): Promise<void> {
  const open = [...connections];
  for (const connection of open) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
  const ended = Promise.all(open.map((connection) => connection.ended));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([ended, timeout]);
  clearTimeout(timer);
  for (const connection of open) connection.terminate();
  await ended;
}
