/**
 * Serves the fallback transports' requests (protocol.ts) for a WebSocket view: the request that opens
 * a connection runs the view body on a {@link FallbackConnection} in the background and answers with
 * the event stream or the first long-poll answer; later requests find the connection by its id. Every
 * one of them has been through the middleware like any request (sessions, CSRF for the POSTs).
 */
import { randomBytes } from 'node:crypto';
import {
  escapeForLog,
  EventStreamResponse,
  HttpResponse,
  HttpResponseNotAllowed,
  JsonResponse,
  loggerOf,
  type HttpRequest,
  type RequestApp,
} from '@manouche/core';
import { CloseCode } from '../constants';
import { WebSocketClosed } from '../errors';
import { isOriginAllowed } from '../handshake';
import { FallbackConnection, LONG_POLL_HOLD, type FallbackContext } from './connection';
import type { FallbackRequest } from './protocol';

const Status = {
  NO_CONTENT: 204,
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  GONE: 410,
  SERVICE_UNAVAILABLE: 503,
} as const;

/** Bytes of randomness in a connection id: 32 base64url characters, unguessable. */
const CONNECTION_ID_BYTES = 24;

/** Each application's open fallback connections. */
interface Registry {
  readonly connections: Map<string, FallbackConnection>;
}

const registries = new WeakMap<RequestApp, Registry>();

function registryOf(app: RequestApp): Registry {
  let registry = registries.get(app);
  if (registry === undefined) {
    const connections = new Map<string, FallbackConnection>();
    registry = { connections };
    registries.set(app, registry);
    app.onClose(() => {
      for (const connection of [...connections.values()])
        connection.terminate(CloseCode.GOING_AWAY, 'server shutting down');
    });
  }
  return registry;
}

/** How many fallback connections `app` has open (for tests and monitoring). */
export function countFallbackConnections(app: RequestApp): number {
  return registries.get(app)?.connections.size ?? 0;
}

/**
 * Answers a request of the fallback protocol for a view offering `protocols`; `body` runs the view
 * (with `request.websocket` set) when the request opens a connection.
 */
export async function serveFallback(
  request: HttpRequest,
  asked: FallbackRequest,
  protocols: readonly string[],
  body: () => unknown,
): Promise<HttpResponse> {
  const app = request.app;
  if (app === null) return refuse(request, Status.BAD_REQUEST, 'it reached the view without an application');
  const registry = registryOf(app);
  if (request.method === 'GET' && asked.connectionId === null)
    return open(request, app, registry, asked, protocols, body);

  const connection = registry.connections.get(asked.connectionId ?? '');
  if (connection === undefined)
    return refuse(
      request,
      Status.NOT_FOUND,
      'no open connection has that id (closed, reaped, or never opened)',
    );
  if (connection.transport !== asked.transport)
    return refuse(
      request,
      Status.BAD_REQUEST,
      `the connection uses ${connection.transport}, not ${asked.transport}`,
    );

  if (request.method === 'GET') {
    if (asked.transport === 'sse') {
      const lastEventId = request.headers.get('Last-Event-ID');
      const last =
        asked.last ?? (lastEventId !== null && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : null);
      return new EventStreamResponse(connection.stream(last));
    }
    return pollAnswer(await connection.poll(asked.last, holdFor(app)));
  }
  if (request.method === 'POST') return receive(request, connection, asked);
  return new HttpResponseNotAllowed(['GET', 'POST']);
}

async function open(
  request: HttpRequest,
  app: RequestApp,
  registry: Registry,
  asked: FallbackRequest,
  protocols: readonly string[],
  body: () => unknown,
): Promise<HttpResponse> {
  // The same rule as a WebSocket handshake's: another site's page can't open a connection as the user.
  const origin = request.headers.get('Origin');
  if (origin !== null && !isOriginAllowed(origin, request, app.settings))
    return refuse(request, Status.FORBIDDEN, `Origin ${origin} is not allowed`);
  if (registry.connections.size >= app.settings.WEBSOCKET_FALLBACK_MAX_CONNECTIONS) {
    const response = refuse(
      request,
      Status.SERVICE_UNAVAILABLE,
      `WEBSOCKET_FALLBACK_MAX_CONNECTIONS (${app.settings.WEBSOCKET_FALLBACK_MAX_CONNECTIONS}) are open`,
    );
    response.headers.set('Retry-After', '5');
    return response;
  }
  const id = randomBytes(CONNECTION_ID_BYTES).toString('base64url');
  const protocol = protocols.find((candidate) => asked.protocols.includes(candidate)) ?? '';
  const context: FallbackContext = {
    logger: app.logger,
    maxBuffered: app.settings.WEBSOCKET_MAX_BUFFERED,
    idleTimeout: app.settings.WEBSOCKET_FALLBACK_IDLE_TIMEOUT,
    forget: (closed) => registry.connections.delete(closed.id),
  };
  const connection = new FallbackConnection(
    id,
    asked.transport,
    protocol,
    context,
    escapeForLog(request.path),
  );
  registry.connections.set(id, connection);
  request.websocket = connection;
  runBody(request, connection, body);
  if (asked.transport === 'sse') return new EventStreamResponse(connection.stream(null));
  return pollAnswer(await connection.poll(null, 0));
}

/**
 * Runs the view body while the connection lives: returning closes with 1000, throwing with 1011 and
 * one log line (the response has gone out already, so no middleware can see the error).
 */
function runBody(request: HttpRequest, connection: FallbackConnection, body: () => unknown): void {
  const where = `${escapeForLog(request.path)} (WebSocket view over ${connection.transport})`;
  void (async () => {
    try {
      await body();
      connection.close(CloseCode.NORMAL);
    } catch (error) {
      connection.close(CloseCode.INTERNAL_ERROR, 'internal error');
      if (error instanceof WebSocketClosed)
        loggerOf(request).warn(`Client Closed Request: ${where}: ${error.message}`);
      else loggerOf(request).error(`Internal Server Error: ${where}`, error);
    }
  })();
}

function receive(request: HttpRequest, connection: FallbackConnection, asked: FallbackRequest): HttpResponse {
  if (asked.close !== null) {
    connection.closeFromClient(asked.close, request.body.toString('utf8').slice(0, 123));
    return noContent();
  }
  const message =
    request.contentType === 'text/plain' ? request.body.toString('utf8') : Buffer.from(request.body);
  switch (connection.deliver(message, asked.seq)) {
    case 'queued':
    case 'duplicate':
      return noContent();
    case 'closed':
      return refuse(request, Status.GONE, 'the connection is closed');
    case 'full': {
      const response = refuse(
        request,
        Status.SERVICE_UNAVAILABLE,
        'the view has not read the messages before it',
      );
      response.headers.set('Retry-After', '1');
      return response;
    }
  }
}

/** How long a long poll waits for a message: 20 s, or half the idle timeout when that is shorter. */
function holdFor(app: RequestApp): number {
  return Math.min(LONG_POLL_HOLD, Math.floor(app.settings.WEBSOCKET_FALLBACK_IDLE_TIMEOUT / 2));
}

function pollAnswer(answer: object): HttpResponse {
  return new JsonResponse(answer, { headers: { 'Cache-Control': 'no-store' } });
}

function noContent(): HttpResponse {
  const response = new HttpResponse('', { status: Status.NO_CONTENT });
  response.headers.delete('Content-Type');
  return response;
}

/** A refused fallback request: an empty answer with `status` and one warning line. */
function refuse(request: HttpRequest, status: number, why: string): HttpResponse {
  loggerOf(request).warn(
    `Fallback request refused: ${escapeForLog(request.method)} ${escapeForLog(request.path)}: ${escapeForLog(why)} (${status})`,
  );
  return new HttpResponse('', { status, contentType: 'text/plain; charset=utf-8' });
}
