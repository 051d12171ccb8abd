import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { escapeForLog, type Logger } from '../log';
import type { ResolvedSettings } from '../settings';

/** How long a new connection has to send its first request head, and the setting that says so. */
export interface HeadLimit {
  readonly ms: number;
  readonly setting: 'REQUEST_HEADERS_TIMEOUT' | 'REQUEST_TIMEOUT';
}

/**
 * The limit on a connection's first request head, as Node's HTTP/1.1 parser applies it:
 * `REQUEST_HEADERS_TIMEOUT`, or `REQUEST_TIMEOUT` (which covers the head too) when that one is 0;
 * `null` when both are 0.
 */
export function headLimitOf(settings: ResolvedSettings): HeadLimit | null {
  if (settings.REQUEST_HEADERS_TIMEOUT > 0)
    return { ms: settings.REQUEST_HEADERS_TIMEOUT, setting: 'REQUEST_HEADERS_TIMEOUT' };
  if (settings.REQUEST_TIMEOUT > 0) return { ms: settings.REQUEST_TIMEOUT, setting: 'REQUEST_TIMEOUT' };
  return null;
}

/** The one line logged for a connection closed because its first request head did not come in time. */
export function headTimeoutLine(address: string | undefined, what: string, limit: HeadLimit): string {
  return `Request Timeout: ${escapeForLog(address ?? 'unknown')} ${what} within ${limit.setting} (${limit.ms} ms)`;
}

/**
 * The time limits of one HTTP/2 connection, on one timer, as Node enforces them for HTTP/1.1:
 *
 * - until the first stream's HEADERS are complete, the {@link HeadLimit} (counted from when the
 *   connection arrived): past it the connection is closed with one log line, by GOAWAY when the
 *   peer sent its preface (a session to close), else by dropping the socket;
 * - from then on, `KEEP_ALIVE_TIMEOUT` whenever no stream is open: a connection idle that long is
 *   closed gracefully (GOAWAY), silently, as an idle HTTP/1.1 keep-alive connection is. A stream in
 *   flight (a slow view, a WebSocket) keeps its connection open however long it runs.
 *
 * Node's own `session.setTimeout()` does not fit: it counts silence, not idleness, so it fires
 * during a long stream and is not armed again once the stream ends, leaving that connection open.
 */
export class SessionTimeouts {
  readonly #session: ServerHttp2Session;
  readonly #logger: Logger;
  readonly #head: HeadLimit | null;
  readonly #keepAlive: number;
  readonly #address: string | undefined;
  readonly #socket: Duplex | null;
  /** The head timer, then the keep-alive timer: re-armed with `refresh()`, never one per stream. */
  #timer: NodeJS.Timeout | null = null;
  #openStreams = 0;
  #headSeen = false;
  /** The peer's SETTINGS came, so its preface is complete and the session can say GOAWAY. */
  #prefaceSeen = false;

  /**
   * Starts timing `session`, whose connection arrived `elapsed` ms ago (a cleartext connection is
   * read a little before it is known to be HTTP/2) on `socket` from `address`, the peer named in
   * the log line.
   */
  constructor(
    session: ServerHttp2Session,
    settings: ResolvedSettings,
    logger: Logger,
    connection: {
      readonly socket: Duplex | null;
      readonly elapsed: number;
      readonly address: string | undefined;
    },
  ) {
    this.#session = session;
    this.#socket = connection.socket;
    this.#address = connection.address;
    this.#logger = logger;
    this.#head = headLimitOf(settings);
    this.#keepAlive = settings.KEEP_ALIVE_TIMEOUT;
    session.once('remoteSettings', () => {
      this.#prefaceSeen = true;
    });
    session.once('close', () => {
      if (this.#timer !== null) clearTimeout(this.#timer);
    });
    if (this.#head !== null)
      this.#timer = unrefTimer(this.#headExpired, Math.max(0, this.#head.ms - connection.elapsed));
  }

  /** A stream's HEADERS are complete: the connection is busy until it closes. */
  streamOpened(stream: ServerHttp2Stream): void {
    this.#openStreams += 1;
    stream.once('close', this.#streamClosed);
    if (this.#headSeen) return;
    this.#headSeen = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  readonly #streamClosed = (): void => {
    this.#openStreams -= 1;
    if (this.#openStreams > 0 || this.#keepAlive === 0 || this.#session.closed) return;
    if (this.#timer === null) this.#timer = unrefTimer(this.#idleExpired, this.#keepAlive);
    else this.#timer.refresh();
  };

  readonly #idleExpired = (): void => {
    // A stream opened since the timer was armed: it runs on, and the timer is armed again when
    // the last one closes.
    if (this.#openStreams > 0 || this.#session.closed) return;
    this.#session.close();
  };

  readonly #headExpired = (): void => {
    const session = this.#session;
    if (this.#headSeen || session.closed || session.destroyed) return;
    const limit = this.#head!;
    const address = this.#address;
    if (!this.#prefaceSeen) {
      this.#logger.warn(headTimeoutLine(address, 'did not send the HTTP/2 connection preface', limit));
      // Not session.destroy(): that would write a GOAWAY to a peer that never spoke HTTP/2.
      if (this.#socket !== null) this.#socket.destroy();
      else session.destroy();
      return;
    }
    this.#logger.warn(
      headTimeoutLine(address, 'opened an HTTP/2 connection but sent no request head', limit),
    );
    // No stream is open, so the GOAWAY goes out and the session ends at once.
    session.close();
  };
}

function unrefTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return timer;
}
