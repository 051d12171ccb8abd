import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Http1UpgradeContext } from '../http/upgrade-context';
import type { HttpResponse } from '../http/response';
import { escapeForLog, type Logger } from '../log';
import { writeRawResponse } from './outgoing';

/**
 * An upgrade request's socket until a handshake takes it over. Until then socket errors are ours to
 * report; from then on they are the new owner's (ws reports them), and what only the handshake
 * needed (the parsed request, the bytes after its head, our listener) is let go, so an idle
 * WebSocket keeps none of it.
 */
export class NodeUpgrade implements Http1UpgradeContext {
  handshake: { readonly incoming: IncomingMessage; readonly head: Buffer } | null;
  #onError: ((error: Error) => void) | null;
  readonly #logger: Logger;

  constructor(
    incoming: IncomingMessage,
    readonly socket: Duplex,
    head: Buffer,
    logger: Logger,
  ) {
    this.handshake = { incoming, head };
    this.#logger = logger;
    const target = incoming.url ?? '';
    this.#onError = (error) =>
      logger.warn(`Socket error during upgrade of ${escapeForLog(target)}: ${escapeForLog(error.message)}`);
    socket.on('error', this.#onError);
  }

  get upgraded(): boolean {
    return this.handshake === null;
  }

  /**
   * Writes the answer to the handshake request, unless the socket was handed over: after a 101 it
   * belongs to the WebSocket, and no HTTP bytes may follow. The writer answers a response it cannot
   * write with a bare 500 itself; only if even that throws (a logger that throws) is the socket dropped.
   */
  deliver(response: HttpResponse): void {
    const handshake = this.handshake;
    if (handshake === null) return;
    try {
      writeRawResponse(this.socket, response, this.#logger, handshake.incoming);
    } catch {
      this.socket.destroy();
    }
  }

  handOver(): void {
    if (this.handshake === null) return;
    this.handshake = null;
    this.socket.off('error', this.#onError!);
    this.#onError = null;
  }
}
