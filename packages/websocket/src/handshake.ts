import {
  HttpResponse,
  isHostAllowed,
  loggerOf,
  splitDomainPort,
  type HttpRequest,
  type ResolvedSettings,
} from '@manouche/core';
import { HandshakeStatus, WEBSOCKET_VERSION } from './constants';

const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Checks an opening handshake (RFC 6455 section 4.2.1) and the `Origin`. Returns the refusal, or
 * `null` when the handshake may go ahead. A refusal is never a 500: 400 for a malformed request, 426
 * (with `Sec-WebSocket-Version: 13`) for another version, 403 for a foreign origin.
 */
export function refuseHandshake(request: HttpRequest, settings: ResolvedSettings): HandshakeRefusal | null {
  if (request.method !== 'GET')
    return refusal(HandshakeStatus.BAD_REQUEST, `a WebSocket handshake must be a GET, not ${request.method}`);
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
  if (origin !== null && !isOriginAllowed(origin, settings)) {
    return refusal(
      HandshakeStatus.FORBIDDEN,
      `origin ${JSON.stringify(origin)} is not allowed (WEBSOCKET_ALLOWED_ORIGINS)`,
    );
  }
  return null;
}

/**
 * `WEBSOCKET_ALLOWED_ORIGINS` lists origins as browsers send them; `'*'` allows all. Unset, an origin
 * is allowed when its host passes the `ALLOWED_HOSTS` check (any scheme, any port).
 */
export function isOriginAllowed(origin: string, settings: ResolvedSettings): boolean {
  const allowed = settings.WEBSOCKET_ALLOWED_ORIGINS;
  const normalized = origin.trim().toLowerCase();
  if (allowed !== undefined && allowed !== null) {
    return allowed.some((entry) => entry === '*' || entry.toLowerCase().replace(/\/$/, '') === normalized);
  }
  let host: string;
  try {
    host = new URL(normalized).host;
  } catch {
    return false;
  }
  return isHostAllowed(splitDomainPort(host)[0], settings.ALLOWED_HOSTS);
}

/** The first of the view's protocols (in its preference order) that the client offered, or `null`. */
export function chooseProtocol(request: HttpRequest, viewProtocols: readonly string[]): string | null {
  const header = request.headers.get('sec-websocket-protocol');
  if (header === null || viewProtocols.length === 0) return null;
  const offered = new Set(header.split(',').map((token) => token.trim()));
  return viewProtocols.find((protocol) => offered.has(protocol)) ?? null;
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
  loggerOf(request).warn(`${label}: WebSocket handshake to ${request.path} refused: ${refusal.reason}`);
}

/**
 * The refusal for `request`, logged: a malformed handshake's own (400/426/403), else, when
 * `otherwise` names a reason, a 400 for that reason; `null` when the handshake may go ahead. The
 * one place that decides and reports a refused handshake.
 */
export function refuseAndLog(request: HttpRequest, otherwise: string | null): HandshakeRefusal | null {
  const settings = request.app?.settings;
  const refused =
    (settings === undefined ? null : refuseHandshake(request, settings)) ??
    (otherwise === null ? null : refusal(HandshakeStatus.BAD_REQUEST, otherwise));
  if (refused !== null) logRefusal(request, refused);
  return refused;
}
