/**
 * The messages a fallback connection's view sent, in order, until the client says it has them: an
 * event stream or a long poll may drop and be retried, so a message is kept after it left until a
 * later request acknowledges it (or room is needed, see {@link Outbox.makeRoom}).
 */

import type { Message } from '../view-queue';

/** A message waiting for the client, with its sequence number (the event's `id`). */
export interface Outgoing {
  readonly seq: number;
  readonly data: Message;
  readonly bytes: number;
}

/** The outgoing messages of one connection, numbered from 1, oldest first. */
export class Outbox {
  #messages: Outgoing[] = [];
  #bytes = 0;
  #seq = 0;
  // The highest sequence number handed to a transport: what is after it has not left yet.
  #handed = 0;

  /** The sequence number of the newest message (0 before the first). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** The sequence number of the oldest message still kept, if any. */
  get oldestSeq(): number | undefined {
    return this.#messages[0]?.seq;
  }

  /** Bytes kept, delivered or not. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of the messages no transport has taken yet. */
  get undeliveredBytes(): number {
    let bytes = 0;
    for (const message of this.#messages) if (message.seq > this.#handed) bytes += message.bytes;
    return bytes;
  }

  /** Whether every message has been handed to a transport. */
  get allHanded(): boolean {
    return this.#handed >= this.#seq;
  }

  /** Adds `data` (`bytes` long) as the next message. */
  push(data: Message, bytes: number): void {
    this.#messages.push({ seq: ++this.#seq, data, bytes });
    this.#bytes += bytes;
  }

  /** The first message after `seq`, if any. */
  after(seq: number): Outgoing | undefined {
    for (const message of this.#messages) if (message.seq > seq) return message;
    return undefined;
  }

  /** Every message after `seq`, oldest first. */
  since(seq: number): Outgoing[] {
    return this.#messages.filter((message) => message.seq > seq);
  }

  /** A transport took the messages up to `seq`. */
  markHanded(seq: number): void {
    this.#handed = Math.max(this.#handed, seq);
  }

  /** The client has every message up to `seq`: they are dropped. */
  acknowledge(seq: number): void {
    while (this.#messages.length > 0 && this.#messages[0]!.seq <= seq) this.#dropOldest();
  }

  /**
   * Room for `bytes` more within `max`: messages already handed out are dropped first (oldest
   * first). False when what was never delivered leaves no room (an empty outbox always takes one).
   */
  makeRoom(bytes: number, max: number): boolean {
    while (this.#bytes + bytes > max && this.#messages.length > 0 && this.#messages[0]!.seq <= this.#handed)
      this.#dropOldest();
    return this.#bytes + bytes <= max || this.#messages.length === 0;
  }

  #dropOldest(): void {
    const dropped = this.#messages.shift();
    if (dropped !== undefined) this.#bytes -= dropped.bytes;
  }
}
