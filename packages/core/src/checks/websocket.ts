import type { Settings } from '../settings';
import { activeMiddleware } from './middleware';
import { error, isClassNamed, type CheckMessage } from './messages';

/**
 * A static property a middleware class may set to say it performs WebSocket handshakes, for a class
 * not named (or derived from) `WebSocketMiddleware`: `static [Symbol.for('manouche.websocketMiddleware')] = true`.
 */
const WEBSOCKET_MIDDLEWARE_MARKER: unique symbol = Symbol.for('manouche.websocketMiddleware');

/** E002: `WEBSOCKET_ACCEPT_ALL` without `WebSocketMiddleware` in the active stack: no view would upgrade. */
export function checkWebsocketMiddleware(settings: Settings): CheckMessage[] {
  if (settings.WEBSOCKET_ACCEPT_ALL !== true) return [];
  const active = activeMiddleware(settings);
  if (active.entries.some(isWebsocketMiddleware)) return [];
  return [
    error(
      'E002',
      `WEBSOCKET_ACCEPT_ALL is true but ${active.setting} has no WebSocketMiddleware, so no WebSocket handshake is ever accepted`,
      `Add WebSocketMiddleware from @manouche/websocket to ${active.setting}.`,
    ),
  ];
}

function isWebsocketMiddleware(entry: unknown): boolean {
  if (isClassNamed(entry, 'WebSocketMiddleware')) return true;
  return (
    typeof entry === 'function' &&
    (entry as unknown as Record<symbol, unknown>)[WEBSOCKET_MIDDLEWARE_MARKER] === true
  );
}
