/** WebSocket close codes (RFC 6455 section 7.4.1) that Manouche sends or reports. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** The server casts off a peer that is not keeping up; it may reconnect later. */
  TRY_AGAIN_LATER: 1013,
} as const;

/** `readyState` values, as in the browser's WebSocket. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** The only protocol version the server speaks (RFC 6455). */
export const WEBSOCKET_VERSION = '13';

/** The reflect-metadata key under which the decorators store a view's WebSocket mode. */
export const WEBSOCKET_MODE_KEY = 'manouche:websocket-mode';

/** HTTP statuses of refused handshakes. */
export const HandshakeStatus = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  UPGRADE_REQUIRED: 426,
  SWITCHING_PROTOCOLS: 101,
} as const;
