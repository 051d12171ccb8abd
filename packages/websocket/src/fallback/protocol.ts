/**
 * The wire protocol of the fallback transports: which requests are theirs (query parameters that start
 * with `_`, so a view's own parameters are left alone), and how messages are written to the client.
 * `@manouche/client` speaks the other side; the package README describes it for anyone else.
 *
 * | request | meaning |
 * | --- | --- |
 * | `GET ?_transport=sse` (`Accept: text/event-stream`) | open a connection; its messages as an event stream |
 * | `GET ?_transport=sse&_connection=ID&_last=N` | the stream again after a drop, from message N + 1 |
 * | `GET ?_transport=longpoll` | open a connection; answers `{ id, protocol, messages: [] }` at once |
 * | `GET ?_transport=longpoll&_connection=ID&_last=N` | messages after N, held until one comes or 20 s pass |
 * | `POST ?_transport=T&_connection=ID&_seq=N` | one message to the view: `text/plain` text, anything else binary |
 * | `POST ?_transport=T&_connection=ID&_close=CODE` | the client closes (the body is the reason) |
 */
import type { HttpRequest } from '@manouche/core';

/** The fallback transports a WebSocket view may offer. */
export type FallbackTransport = 'sse' | 'longpoll';

export const FALLBACK_TRANSPORTS: readonly FallbackTransport[] = ['sse', 'longpoll'];

/** The query parameters of the protocol. */
export const Param = {
  TRANSPORT: '_transport',
  CONNECTION: '_connection',
  LAST: '_last',
  SEQ: '_seq',
  CLOSE: '_close',
  PROTOCOLS: '_protocols',
} as const;

/** Event types of the stream besides plain text messages (the default `message` type). */
// Not `open`: EventSource fires its own `open` event when the stream starts.
export const StreamEvent = { CONNECTED: 'connected', BINARY: 'binary', CLOSE: 'close' } as const;

/** A message in a long-poll answer: text as `text`, binary as base64 in `binary`. */
export type PolledMessage = { seq: number; text: string } | { seq: number; binary: string };

/** A long-poll answer. `close` is present once the connection has closed. */
export interface LongPollAnswer {
  id: string;
  protocol: string;
  messages: PolledMessage[];
  close?: { code: number; reason: string };
}

/** What a request of the protocol asks for. */
export interface FallbackRequest {
  transport: FallbackTransport;
  /** The logical connection's id; `null` to open one. */
  connectionId: string | null;
  /** The last message the client has (acknowledges it and those before); `null`: none said. */
  last: number | null;
  /** The sequence number of a message POSTed, so a retried POST is not taken twice. */
  seq: number | null;
  /** The close code a POST sends, or `null`. */
  close: number | null;
  /** Subprotocols the client offers, in its order. */
  protocols: string[];
}

const COUNTER = /^\d{1,15}$/;
const CLOSE_CODE = /^\d{4}$/;
/** What {@link newConnectionId} makes: 32 base64url characters. */
const CONNECTION_ID = /^[A-Za-z0-9_-]{32}$/;

/**
 * The protocol request `request` makes to a view offering `allowed`, or `null` for an ordinary
 * request (no `_transport`, or one the view does not offer).
 */
export function parseFallbackRequest(
  request: HttpRequest,
  allowed: readonly FallbackTransport[],
): FallbackRequest | null {
  const transport = request.GET.get(Param.TRANSPORT);
  if (transport === null || !allowed.includes(transport as FallbackTransport)) return null;
  const id = request.GET.get(Param.CONNECTION);
  const close = request.GET.get(Param.CLOSE);
  return {
    transport: transport as FallbackTransport,
    connectionId: id !== null && CONNECTION_ID.test(id) ? id : id === null ? null : '',
    last: counter(request.GET.get(Param.LAST)),
    seq: counter(request.GET.get(Param.SEQ)),
    close: close !== null && CLOSE_CODE.test(close) ? Number(close) : null,
    protocols: (request.GET.get(Param.PROTOCOLS) ?? '')
      .split(',')
      .map((protocol) => protocol.trim())
      .filter((protocol) => protocol !== ''),
  };
}

function counter(raw: string | null): number | null {
  return raw !== null && COUNTER.test(raw) ? Number(raw) : null;
}
