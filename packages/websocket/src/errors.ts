import { ManoucheError } from '@manouche/core';

/**
 * `send()` on a connection that is closing or closed (the peer left, or the view closed it). A view
 * that lets it escape has done nothing wrong on the server's side: it becomes status 499 (nginx's
 * "Client Closed Request"), one warning line instead of an "Internal Server Error" with a trace, and
 * `processException` still sees it like any view error.
 */
export class WebSocketClosed extends ManoucheError {
  override readonly code: string = 'MNC_ERR_WEBSOCKET_CLOSED';
  override readonly status: number = 499;
}

/**
 * Channels' `ChannelFull`: a channel layer refuses a message because its own backlog is full (a
 * `RedisChannelLayer` with `publishCapacity` publishes waiting for Redis). Nothing was sent; the
 * sender may drop the message or try again later. Escaping a view, it is a 503.
 */
export class ChannelFull extends ManoucheError {
  override readonly code: string = 'MNC_ERR_CHANNEL_FULL';
  override readonly status: number = 503;
}
