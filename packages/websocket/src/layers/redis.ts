import { Redis, type RedisOptions } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { consoleLogger, escapeForLog, type Logger } from '@manouche/core';
import { channelNameOf, findChannel, PROCESS_ID, processOfChannel } from '../channel-names';
import type { Message } from '../connection';
import { ChannelFull } from '../errors';
import {
  LocalGroups,
  type ChannelLayer,
  type GroupMember,
  type PresenceInfo,
  type PresenceListener,
  type PresentMember,
} from './channel-layer';
import { PresenceListeners } from './presence';
import { StreamReader, type StreamCursor, type StreamEntry } from './redis-reader';
import { decode, RedisStore } from './redis-store';

/** Options of {@link RedisChannelLayer}. */
export interface RedisChannelLayerOptions {
  /**
   * Default `redis://127.0.0.1:6379`. A password goes in the URL (`redis://:secret@host:6379/0`),
   * and `rediss://` connects over TLS.
   */
  url?: string;
  /** Prefix of every key the layer writes, to share one Redis between applications. Default `manouche`. */
  prefix?: string;
  /** Passed to ioredis. */
  redis?: RedisOptions;
  /** Where connection errors and lost messages are reported (default: one line on stderr). */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Messages sent and not yet acknowledged by Redis (while it is slow, or away and ioredis
   * reconnecting) past which `groupSend` and `send` reject with `ChannelFull` instead of queueing
   * more. Default 1000.
   */
  publishCapacity?: number;
  /** As `InMemoryChannelLayer`'s: pending sends of a member that is not a WebSocket. Default 100. */
  capacity?: number;
  /**
   * How long (ms) a message stays in Redis for a process whose connection to Redis dropped: one
   * back within this window misses nothing. Default 30000.
   */
  replayWindow?: number;
  /** Messages kept per group (and per process inbox) within that window, at most. Default 10000. */
  replayCapacity?: number;
  /**
   * How long (ms) a process's members stay in `groupMembers` after it stopped heartbeating (it
   * crashed); it heartbeats every third of it. Default 5000.
   */
  presenceTtl?: number;
}

const DEFAULT_PUBLISH_CAPACITY = 1000;
const DEFAULT_REPLAY_WINDOW = 30_000;
const DEFAULT_REPLAY_CAPACITY = 10_000;
const DEFAULT_PRESENCE_TTL = 5000;
// Every this many heartbeats (about once per presenceTtl), the presence of every group read here is
// swept, not only of those listened to: that also keeps a quiet group's presence hash from expiring,
// which happens after twice the longer of replayWindow and presenceTtl.
const FULL_SWEEP_EVERY = 3;

/** A `groupAdd` waiting for Redis; `discarded` once `groupDiscard` was called for it meanwhile. */
interface PendingJoin {
  discarded: boolean;
}

// The layers of this process per prefix: the first one delivers what arrives in the process's inbox.
const inboxReaders = new Map<string, Set<RedisChannelLayer>>();

/**
 * Groups across processes over Redis, with ioredis (reconnection is its job).
 *
 * Each group is a Redis stream: `groupSend` appends to it (trimmed to `replayWindow` and
 * `replayCapacity`), and each process reads the streams of the groups it has members in with a
 * blocking `XREAD` from the last id it saw, handing what arrives to its members. A process that
 * loses its connection to Redis resumes from that id, so it misses nothing sent within the window;
 * past it, the gap is seen (entries are numbered), logged once and counted in `missedMessages`.
 * `send(channelName)` appends to the inbox stream of the process holding that connection.
 * Presence is a hash per group, each entry naming its process, which counts only while that
 * process's heartbeat key lives; joins and leaves are entries of the group's stream.
 */
export class RedisChannelLayer implements ChannelLayer {
  readonly #publisher: Redis;
  readonly #readerClient: Redis;
  readonly #store: RedisStore;
  readonly #reader: StreamReader;
  readonly #prefix: string;
  readonly #id = randomBytes(6).toString('base64url');
  readonly #groups: LocalGroups;
  readonly #listeners: PresenceListeners;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #publishCapacity: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #started: Promise<void>;
  // The groupAdds waiting for Redis, per member and group: a groupDiscard meanwhile marks them.
  readonly #joining = new WeakMap<GroupMember, Map<string, Set<PendingJoin>>>();
  #heartbeats = 0;
  #publishing = 0;
  #droppedSends = 0;
  #missedMessages = 0;
  #gapReported = false;
  #closed = false;

  constructor(options: RedisChannelLayerOptions = {}) {
    const url = options.url ?? 'redis://127.0.0.1:6379';
    this.#prefix = options.prefix ?? 'manouche';
    this.#groups = new LocalGroups(options.capacity);
    this.#logger = options.logger ?? consoleLogger;
    this.#listeners = new PresenceListeners(this.#logger);
    this.#publishCapacity = options.publishCapacity ?? DEFAULT_PUBLISH_CAPACITY;
    const presenceTtl = options.presenceTtl ?? DEFAULT_PRESENCE_TTL;
    this.#publisher = new Redis(url, { ...options.redis });
    this.#store = new RedisStore(this.#publisher, this.#prefix, {
      replayWindow: options.replayWindow ?? DEFAULT_REPLAY_WINDOW,
      replayCapacity: options.replayCapacity ?? DEFAULT_REPLAY_CAPACITY,
      presenceTtl,
    });
    // Named, so an operator (or a test) can find it in CLIENT LIST; no retry limit: a read waits.
    this.#readerClient = new Redis(url, {
      ...options.redis,
      connectionName: `${this.#prefix}:reader:${PROCESS_ID}`,
      maxRetriesPerRequest: null,
    });
    const shownUrl = escapeForLog(url.replace(/\/\/[^@/]*@/, '//***@'));
    for (const client of [this.#publisher, this.#readerClient]) {
      client.on('error', (error: Error) =>
        this.#logger.warn(`RedisChannelLayer ${shownUrl}: ${escapeForLog(error.message)}`),
      );
    }
    this.#reader = new StreamReader(this.#readerClient, {
      entry: (stream, entry) => this.#receive(stream, entry),
      gap: (stream, missed) => this.#gap(stream, missed),
    });
    // A connection that came back: report the next gap again; refresh presence at once.
    this.#readerClient.on('ready', () => {
      this.#gapReported = false;
      void this.#beat();
    });
    let readers = inboxReaders.get(this.#prefix);
    if (readers === undefined) inboxReaders.set(this.#prefix, (readers = new Set()));
    readers.add(this);
    this.#heartbeat = setInterval(() => void this.#beat(), Math.max(1, Math.floor(presenceTtl / 3)));
    this.#heartbeat.unref();
    this.#started = this.#start();
    this.#started.catch(() => undefined);
  }

  /**
   * Records the member in Redis, then at once counts it among the local members (before any answer
   * Redis sends after the join's, so a presence listener reacting to this join finds it), then
   * makes sure this process reads the group from before the join. Once `localMembers` shows the
   * member, it gets everything sent after.
   */
  async groupAdd(group: string, member: GroupMember, info?: PresenceInfo): Promise<void> {
    const pending: PendingJoin = { discarded: false };
    this.#joinsOf(group, member).add(pending);
    let start: StreamCursor;
    try {
      start = await this.#store.join(group, channelNameOf(member), info);
    } finally {
      this.#joined(group, member, pending);
    }
    if (pending.discarded) {
      await this.#store.leave(group, channelNameOf(member));
      return;
    }
    this.#groups.add(group, member, () => void this.groupDiscard(group, member).catch(() => undefined), info);
    await this.#watch(group, start);
  }

  /** Removes the member; one whose `groupAdd` is still waiting for Redis is taken out once it is in. */
  async groupDiscard(group: string, member: GroupMember): Promise<void> {
    for (const pending of this.#joining.get(member)?.get(group) ?? []) pending.discarded = true;
    if (!this.#groups.has(group, member)) return;
    const last = this.#groups.remove(group, member);
    if (last && !this.#listeners.has(group)) this.#reader.unwatch(this.#store.streamOf(group));
    await this.#store.leave(group, channelNameOf(member));
  }

  /**
   * Appends `message` to the group's stream; resolves once Redis has it (each process then hands it
   * to its members, never waiting for them). Rejects with `ChannelFull` when `publishCapacity`
   * messages are already waiting for Redis's answer.
   */
  async groupSend(group: string, message: Message): Promise<void> {
    await this.#bounded(group, () => this.#store.publish(group, message));
  }

  /**
   * Sends `message` to the connection named `channelName`: at once when it is in this process, else
   * through its process's inbox. An unknown or closed name, or a process that is gone, is dropped
   * and counted in `droppedSends` (by the process that finds it so).
   */
  async send(channelName: string, message: Message): Promise<void> {
    const holder = processOfChannel(channelName);
    if (holder === PROCESS_ID || holder === null) {
      const member = holder === null ? undefined : findChannel(channelName);
      if (member === undefined) this.#droppedSends += 1;
      else this.#groups.deliverTo(member, message);
      return;
    }
    const appended = await this.#bounded(channelName, () => this.#store.sendTo(holder, channelName, message));
    if (!appended) this.#droppedSends += 1;
  }

  /** Every member of `group` whose process is alive; those of a dead process are removed (with a leave event). */
  groupMembers(group: string): Promise<PresentMember[]> {
    return this.#store.members(group);
  }

  async groupSize(group: string): Promise<number> {
    return (await this.#store.members(group)).length;
  }

  /** Listens to the group's stream from now on (joins and leaves of every process). */
  async onPresence(group: string, listener: PresenceListener): Promise<() => void> {
    const remove = this.#listeners.add(group, listener);
    const stream = this.#store.streamOf(group);
    if (!this.#reader.watching(stream)) await this.#watch(group, await this.#store.tail(group));
    return () => {
      remove();
      if (!this.#listeners.has(group) && this.#groups.members(group).size === 0) this.#reader.unwatch(stream);
    };
  }

  localMembers(group: string): ReadonlySet<GroupMember> {
    return this.#groups.members(group);
  }

  get droppedSends(): number {
    return this.#droppedSends;
  }

  /** Group messages this process never got: trimmed from Redis before it could read them. */
  get missedMessages(): number {
    return this.#missedMessages;
  }

  /**
   * Takes this process's members out of presence (with leave events), then closes both connections:
   * politely (QUIT) when connected, at once otherwise, so a layer whose Redis is away still closes.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    const readers = inboxReaders.get(this.#prefix);
    readers?.delete(this);
    if (readers?.size === 0) inboxReaders.delete(this.#prefix);
    if (this.#publisher.status === 'ready') {
      const leaving: Promise<unknown>[] = [];
      for (const group of this.#groups.groups()) {
        for (const member of [...this.#groups.members(group)]) {
          this.#groups.remove(group, member);
          leaving.push(this.#store.leave(group, channelNameOf(member)));
        }
      }
      if (!inboxReaders.has(this.#prefix)) leaving.push(this.#store.forgetProcess());
      await Promise.allSettled(leaving);
    }
    const stopped = this.#reader.stop();
    this.#readerClient.disconnect();
    await stopped;
    await Promise.allSettled([
      this.#publisher.status === 'ready'
        ? this.#publisher.quit()
        : Promise.resolve(this.#publisher.disconnect()),
    ]);
  }

  // Inside ----------------------------------------------------------------------------------------

  /** The `groupAdd`s of `member` to `group` waiting for Redis (kept only while one waits). */
  #joinsOf(group: string, member: GroupMember): Set<PendingJoin> {
    let byGroup = this.#joining.get(member);
    if (byGroup === undefined) this.#joining.set(member, (byGroup = new Map()));
    let joins = byGroup.get(group);
    if (joins === undefined) byGroup.set(group, (joins = new Set()));
    return joins;
  }

  #joined(group: string, member: GroupMember, pending: PendingJoin): void {
    const byGroup = this.#joining.get(member);
    const joins = byGroup?.get(group);
    joins?.delete(pending);
    if (joins?.size !== 0) return;
    byGroup!.delete(group);
    if (byGroup!.size === 0) this.#joining.delete(member);
  }

  /** Heartbeat first (so sends to this process are accepted), then read the inbox from its tail. */
  async #start(): Promise<void> {
    await this.#beat();
    if (!this.#reader.watching(this.#store.inbox))
      this.#reader.watch(this.#store.inbox, await this.#store.tail(null));
    this.#reader.start();
  }

  /**
   * Reads the group's stream from `start` unless it is read already; a wake-up entry in this
   * process's inbox makes the blocked read start again with it (a read issued before the entry was
   * added returns it at once, so no wake-up is lost).
   */
  async #watch(group: string, start: StreamCursor): Promise<void> {
    await this.#started;
    if (this.#reader.watch(this.#store.streamOf(group), start)) await this.#store.wake();
  }

  async #bounded<T>(target: string, append: () => Promise<T>): Promise<T> {
    if (this.#publishing >= this.#publishCapacity) {
      throw new ChannelFull(
        `RedisChannelLayer: ${this.#publishing} messages are waiting for Redis (publishCapacity); ${target} not sent`,
      );
    }
    this.#publishing += 1;
    try {
      return await append();
    } finally {
      this.#publishing -= 1;
    }
  }

  /**
   * Refreshes the heartbeat. Found missing (expired during a long outage, or Redis restarted
   * empty), every local member is recorded again; the groups listened to are swept of the members
   * of dead processes (their leave events), and every third beat all groups read here.
   */
  async #beat(): Promise<void> {
    if (this.#closed) return;
    try {
      const work: Promise<unknown>[] = [];
      if (await this.#store.beat(this.#id)) {
        for (const group of this.#groups.groups()) {
          for (const member of this.#groups.members(group)) {
            work.push(this.#store.join(group, channelNameOf(member), this.#groups.infoOf(group, member)));
          }
        }
      }
      this.#heartbeats += 1;
      const everyGroup = this.#heartbeats % FULL_SWEEP_EVERY === 0;
      const groups = new Set(
        everyGroup ? [...this.#listeners.groups(), ...this.#groups.groups()] : this.#listeners.groups(),
      );
      for (const group of groups) work.push(this.#store.members(group));
      await Promise.all(work);
    } catch {
      // Redis is away: ioredis reports it, and the next beat tries again.
    }
  }

  #receive(stream: string, entry: StreamEntry): void {
    const group = this.#store.groupOf(stream);
    if (group === null) {
      this.#receiveDirect(entry);
      return;
    }
    if (entry.kind === 'j' || entry.kind === 'l') {
      let member: PresentMember;
      try {
        member = JSON.parse(entry.data.toString('utf8')) as PresentMember;
      } catch {
        return;
      }
      this.#listeners.emit({ type: entry.kind === 'j' ? 'join' : 'leave', group, member });
      return;
    }
    const message = decode(entry);
    if (message !== null) this.#groups.deliver(group, message);
  }

  /** An inbox entry: delivered by the first layer of this prefix in the process, once. */
  #receiveDirect(entry: StreamEntry): void {
    if (entry.to === null || inboxReaders.get(this.#prefix)?.values().next().value !== this) return;
    const message = decode(entry);
    if (message === null) return;
    const member = findChannel(entry.to);
    if (member === undefined) this.#droppedSends += 1;
    else this.#groups.deliverTo(member, message);
  }

  #gap(stream: string, missed: number): void {
    this.#missedMessages += missed;
    if (this.#gapReported) return;
    this.#gapReported = true;
    const what = stream.slice(this.#prefix.length + 1);
    this.#logger.warn(
      `RedisChannelLayer: ${missed} messages of ${escapeForLog(what)} were trimmed before this process could read them ` +
        `(away longer than replayWindow, or behind by more than replayCapacity); further losses until the next reconnection are only counted (missedMessages)`,
    );
  }
}
