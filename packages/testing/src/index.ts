/**
 * `@manouche/testing`: Django's test client and request factory, a live server, and a WebSocket test
 * client, for jest (or any runner). This file only re-exports.
 */
export { Client, type ClientRequestOptions, type TestResponse } from './client';
export { RequestFactory } from './request-factory';
export { LiveServer, type LiveServerOptions } from './live-server';
export {
  openHttp2Session,
  openHttp2WebSocket,
  type Http2WebSocketRequest,
  type Http2WebSocketResult,
} from './http2-websocket';
export {
  WebSocketTestClient,
  type CloseInfo,
  type ConnectOptions,
  type ConnectResult,
  type WebSocketTestClientOptions,
} from './websocket-client';
export { overrideSettings } from './override-settings';
export { LiveServerNotStarted, WebSocketAlreadyConnected } from './errors';
export { CookieJar } from './cookie-jar';
export { buildRequest, encodeForm, TEST_HOST, type RequestData, type RequestOptions } from './build-request';
