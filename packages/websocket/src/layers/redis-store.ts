import type { Redis } from 'ioredis';
import { PROCESS_ID } from '../channel-names';
import type { Message } from '../connection';
import type { PresenceInfo, PresentMember } from './channel-layer';
import type { StreamCursor, StreamEntry } from './redis-reader';
import { JOIN, LEAVE, MEMBERS, PUBLISH, SEND, TAIL } from './redis-scripts';

/** How long entries and keys live in Redis (see `RedisChannelLayerOptions`). */
export interface Retention {
  replayWindow: number;
  replayCapacity: number;
  presenceTtl: number;
}

/**
 * What `RedisChannelLayer` keeps in Redis, under its prefix, and every command it sends there
 * except the reads (redis-reader.ts): the keys are named here only (redis-scripts.ts describes
 * them), and each step is one script or command on the publishing connection, so steps run in
 * the order they are called.
 */
export class RedisStore {
  readonly #client: Redis;
  readonly #prefix: string;
  // ARGV[1..3] of every script: replay window, replay capacity, how long a quiet group's keys live.
  readonly #trim: readonly [number, number, number];
  readonly #presenceTtl: number;

  constructor(client: Redis, prefix: string, retention: Retention) {
    this.#client = client;
    this.#prefix = prefix;
    this.#presenceTtl = retention.presenceTtl;
    const { replayWindow, replayCapacity } = retention;
    this.#trim = [replayWindow, replayCapacity, 2 * Math.max(replayWindow, retention.presenceTtl)];
  }

  /** The stream of `group`. */
  streamOf(group: string): string {
    return this.#key('stream', group);
  }

  /** The group whose stream is `stream`, or `null` for this process's inbox. */
  groupOf(stream: string): string | null {
    const prefix = `${this.#prefix}:stream:`;
    return stream.startsWith(prefix) ? stream.slice(prefix.length) : null;
  }

  /** This process's inbox stream. */
  get inbox(): string {
    return this.#key('inbox', PROCESS_ID);
  }

  publish(group: string, message: Message): Promise<unknown> {
    const [kind, data] = encode(message);
    return PUBLISH.run(
      this.#client,
      [this.streamOf(group), this.#key('seq', group)],
      [...this.#trim, kind, data],
    );
  }

  /** Appends to the inbox of process `holder` if it is alive; false when it is not (dropped). */
  async sendTo(holder: string, channelName: string, message: Message): Promise<boolean> {
    const [kind, data] = encode(message);
    const keys = [this.#key('alive', holder), this.#key('inbox', holder), this.#key('inbox-seq', holder)];
    return (await SEND.run(this.#client, keys, [...this.#trim, kind, data, channelName])) === 1;
  }

  /** A wake-up entry in this process's inbox: a blocked read returns, and is issued again. */
  wake(): Promise<unknown> {
    return PUBLISH.run(
      this.#client,
      [this.inbox, this.#key('inbox-seq', PROCESS_ID)],
      [...this.#trim, 'w', ''],
    );
  }

  /** Records a member of `group` (a join event if new); resolves to where a reader of the group starts. */
  async join(group: string, channelName: string, info: PresenceInfo | undefined): Promise<StreamCursor> {
    const shown = JSON.stringify(info === undefined ? { channelName } : { channelName, info });
    const [id, seq] = (await JOIN.run(this.#client, this.#groupKeys(group), [
      ...this.#trim,
      channelName,
      `${PROCESS_ID} ${shown}`,
      shown,
    ])) as [string, string];
    return { id, seq: Number(seq) };
  }

  /** Removes a member of `group`, with a leave event if it was there. */
  leave(group: string, channelName: string): Promise<unknown> {
    return LEAVE.run(this.#client, this.#groupKeys(group), [...this.#trim, channelName]);
  }

  /** The members of `group` whose process is alive; the others are removed, with leave events. */
  async members(group: string): Promise<PresentMember[]> {
    const members = (await MEMBERS.run(this.#client, this.#groupKeys(group), [
      ...this.#trim,
      this.#key('alive', ''),
    ])) as string[];
    return members.map((member) => JSON.parse(member) as PresentMember);
  }

  /** Where a reader of `group` (or, for `null`, of this process's inbox) starts: after the last entry. */
  async tail(group: string | null): Promise<StreamCursor> {
    const keys =
      group === null
        ? [this.inbox, this.#key('inbox-seq', PROCESS_ID)]
        : [this.streamOf(group), this.#key('seq', group)];
    const [id, seq] = (await TAIL.run(this.#client, keys, [])) as [string, string];
    return { id, seq: Number(seq) };
  }

  /**
   * Refreshes this process's heartbeat key (which `sendTo` and `members` look for) and the layer's
   * own; resolves to true when the layer's key was gone: it expired during a long outage, or Redis
   * restarted empty, and the layer's members must be recorded again.
   */
  async beat(layerId: string): Promise<boolean> {
    const ttl = this.#presenceTtl;
    const [, previous] = await Promise.all([
      this.#client.set(this.#key('alive', PROCESS_ID), '1', 'PX', ttl),
      this.#client.set(this.#key('layer', `${PROCESS_ID}-${layerId}`), '1', 'PX', ttl, 'GET'),
    ]);
    return previous === null;
  }

  /** Forgets this process's heartbeat, so sends to it are dropped at once rather than queued. */
  forgetProcess(): Promise<unknown> {
    return this.#client.del(this.#key('alive', PROCESS_ID));
  }

  #key(kind: string, name: string): string {
    return `${this.#prefix}:${kind}:${name}`;
  }

  #groupKeys(group: string): string[] {
    return [this.#key('presence', group), this.streamOf(group), this.#key('seq', group)];
  }
}

// The entry's kind says how to send the message on: a text or a binary frame.
function encode(message: Message): ['t' | 'b', string | Buffer] {
  return typeof message === 'string' ? ['t', message] : ['b', message];
}

/** The message of a `t` or `b` entry; `null` for the other kinds. */
export function decode(entry: StreamEntry): Message | null {
  if (entry.kind === 't') return entry.data.toString('utf8');
  if (entry.kind === 'b') return Buffer.from(entry.data);
  return null;
}
