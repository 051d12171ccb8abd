import { ManoucheError } from '@manouche/core';

// The test tools' own misuse errors. A failed expectation (a message that did not come, a redirect
// loop) stays a plain Error whose message says what was expected, like jest's `expect`.

/** Raised when a `LiveServer`'s `port`, `url` or `wsUrl` is read before `start()` or after `stop()`. */
export class LiveServerNotStarted extends ManoucheError {
  override readonly code: string = 'MNC_ERR_LIVE_SERVER_NOT_STARTED';
}

/**
 * Raised (as a rejection) by `WebSocketTestClient.connect()` on a client that was already connected
 * once; make a new client for another connection.
 */
export class WebSocketAlreadyConnected extends ManoucheError {
  override readonly code: string = 'MNC_ERR_WEBSOCKET_ALREADY_CONNECTED';
}
