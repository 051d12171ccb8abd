import {
  HttpResponse,
  MiddlewareMixin,
  setViewRunner,
  type HttpRequest,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { undecoratedView, websocketInfoOf, runWebSocketView, type WebSocketViewInfo } from './decorators';
import { refuseAndLog } from './handshake';

const ACCEPT_ALL: WebSocketViewInfo = { mode: 'accept', protocols: [] };

/**
 * dwebsocket's `WebSocketMiddleware`, for `MIDDLEWARE` and `MIDDLEWARE_CLASSES` alike. On a WebSocket
 * handshake it arranges for the view to be run through it: decorated views accept as they declare,
 * other views accept when `WEBSOCKET_ACCEPT_ALL` is true (read per request) and answer 400 otherwise.
 * The `101` is written immediately before the view body, after every other hook has had its say.
 */
export class WebSocketMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): HttpResponse | null {
    if (!request.isWebsocket()) return null;
    if (request.upgrade === null) {
      // Node only hands over the socket for `Connection: upgrade`; without it this can't be a handshake.
      return refuseAndLog(request, 'the request arrived without its socket, so it cannot be upgraded');
    }
    setViewRunner(request, runView);
    return null;
  }
}

function runView(
  request: HttpRequest,
  view: ViewFunction,
  params: ViewParams,
): Promise<HttpResponse | null | undefined | void> {
  // A view function the decorators made is run here directly, nothing between it and the view layer.
  const direct = undecoratedView(view);
  if (direct !== null)
    return runWebSocketView(direct.info, request, () => direct.view(request, params), true);
  // Any other decorated view (wrapped again, class-based) handshakes itself: exactly one 101 either way.
  if (websocketInfoOf(view) !== undefined) return Promise.resolve(view(request, params));
  if (request.app!.settings.WEBSOCKET_ACCEPT_ALL) {
    return runWebSocketView(ACCEPT_ALL, request, () => view(request, params), true);
  }
  // A malformed handshake gets its own answer (426 for another version...) before "not accepted".
  return Promise.resolve(
    refuseAndLog(request, "the view doesn't accept WebSocket connections (WEBSOCKET_ACCEPT_ALL is false)"),
  );
}
