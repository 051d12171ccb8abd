import type { Redis } from 'ioredis';

/** One entry of a stream, as `RedisChannelLayer` writes them (see redis-scripts.ts). */
export interface StreamEntry {
  /** `t` text, `b` binary, `j` join, `l` leave, `w` wake-up. */
  readonly kind: string;
  /** Its number in the stream: one more than the entry before, unless some were lost. */
  readonly seq: number;
  /** The channel name an inbox entry is for. */
  readonly to: string | null;
  readonly data: Buffer;
}

/** Where a reader starts (or has got to) in a stream. */
export interface StreamCursor {
  id: string;
  seq: number;
}

/** What the reader hands on. */
export interface StreamHandler {
  entry(stream: string, entry: StreamEntry): void;
  /** `missed` entries of `stream` were trimmed before this reader got to them. */
  gap(stream: string, missed: number): void;
}

// Entries taken per stream per read: a burst is handed on in batches, never all at once.
const BATCH = 1000;
// A blocked read wakes up by itself this often (a new stream is normally added by a wake-up entry).
const BLOCK_MS = 5000;
// After a failed read (connection lost: ioredis reconnects), the pause before the next one.
const RETRY_MS = 100;

/**
 * Reads the streams a layer watches with one blocking `XREAD` at a time on its own connection,
 * from the last id it has seen in each. A connection that drops and comes back (ioredis resends
 * the read, or the loop issues it again) therefore resumes exactly where it was: whatever was
 * appended meanwhile, and not yet trimmed, is read in order. The entries' numbers tell a gap
 * (entries trimmed before they were read) from a quiet spell.
 */
export class StreamReader {
  readonly #client: Redis;
  readonly #handler: StreamHandler;
  readonly #cursors = new Map<string, StreamCursor>();
  #loop: Promise<void> | null = null;
  #stopped = false;

  constructor(client: Redis, handler: StreamHandler) {
    this.#client = client;
    this.#handler = handler;
  }

  /** Starts reading `stream` after `from`; false when it was already read. */
  watch(stream: string, from: StreamCursor): boolean {
    if (this.#cursors.has(stream)) return false;
    this.#cursors.set(stream, { ...from });
    return true;
  }

  unwatch(stream: string): void {
    this.#cursors.delete(stream);
  }

  watching(stream: string): boolean {
    return this.#cursors.has(stream);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops after the read under way (the caller disconnects the client to end it at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const streams = [...this.#cursors.keys()];
      const ids = streams.map((stream) => this.#cursors.get(stream)!.id);
      let reply: unknown;
      try {
        reply = await this.#client.callBuffer(
          'XREAD',
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...streams,
          ...ids,
        );
      } catch {
        if (this.#stopped) break;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      if (Array.isArray(reply)) this.#handOn(reply as [Buffer, [Buffer, Buffer[]][]][]);
    }
  }

  #handOn(reply: [Buffer, [Buffer, Buffer[]][]][]): void {
    for (const [key, entries] of reply) {
      const stream = key.toString();
      const cursor = this.#cursors.get(stream);
      if (cursor === undefined) continue;
      for (const [rawId, fields] of entries) {
        const id = rawId.toString();
        // A read issued before the stream was watched again from a later point.
        if (compareIds(id, cursor.id) <= 0) continue;
        const entry = parseEntry(fields);
        cursor.id = id;
        // A number that went back means the counter started again (Redis lost its data): no gap known.
        if (entry.seq > cursor.seq + 1) this.#handler.gap(stream, entry.seq - cursor.seq - 1);
        cursor.seq = entry.seq;
        this.#handler.entry(stream, entry);
        // The handler may have stopped watching the stream.
        if (this.#cursors.get(stream) !== cursor) break;
      }
    }
  }
}

function parseEntry(fields: Buffer[]): StreamEntry {
  let kind = '';
  let seq = 0;
  let to: string | null = null;
  let data: Buffer = EMPTY;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const name = fields[index]!.toString();
    const value = fields[index + 1]!;
    if (name === 'k') kind = value.toString();
    else if (name === 'n') seq = Number(value.toString());
    else if (name === 'to') to = value.toString();
    else if (name === 'd') data = value;
  }
  return { kind, seq, to, data };
}

const EMPTY = Buffer.alloc(0);

/** Orders two stream ids (`<ms>-<n>`). */
export function compareIds(a: string, b: string): number {
  const [aTime, aSeq] = a.split('-').map(Number) as [number, number];
  const [bTime, bSeq] = b.split('-').map(Number) as [number, number];
  return aTime !== bTime ? aTime - bTime : aSeq - bSeq;
}
