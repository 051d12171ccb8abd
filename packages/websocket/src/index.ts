/**
 * `@manouche/websocket`: dwebsocket's WebSocket views for Manouche, on `ws`.
 * This file only re-exports; importing it loads reflect-metadata once.
 */
import 'reflect-metadata';

export { WebSocketMiddleware } from './middleware';
export {
  acceptWebsocket,
  requireWebsocket,
  websocketInfoOf,
  type WebSocketDecorator,
  type WebSocketMode,
  type WebSocketViewInfo,
  type WebSocketViewOptions,
} from './decorators';
export { WebSocketConnection, type Message } from './connection';
export { FallbackConnection } from './fallback/connection';
export { countFallbackConnections } from './fallback/serve';
export type { FallbackTransport, LongPollAnswer, PolledMessage } from './fallback/protocol';
export { ChannelFull, WebSocketClosed } from './errors';
export { CloseCode, ReadyState, WEBSOCKET_VERSION, WEBSOCKET_MODE_KEY } from './constants';
export { isOriginAllowed } from './handshake';
export { channelNameOf, type Addressable } from './channel-names';
export {
  getChannelLayer,
  InMemoryChannelLayer,
  RedisChannelLayer,
  type ChannelLayer,
  type GroupMember,
  type InMemoryChannelLayerOptions,
  type PresenceEvent,
  type PresenceInfo,
  type PresenceListener,
  type PresentMember,
  type RedisChannelLayerOptions,
} from './layers/index';
