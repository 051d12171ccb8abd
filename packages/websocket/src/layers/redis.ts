import { Redis, type RedisOptions } from 'ioredis';
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
import { JOIN, LEAVE, MEMBERS, PUBLISH, SEND, TAIL } from './redis-scripts';

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
// Every this many heartbeats, the presence of every group read here is swept, not only the listened.
const FULL_SWEEP_EVERY = 10;

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
  readonly #reader: StreamReader;
  readonly #readerClient: Redis;
  readonly #prefix: string;
  readonly #groups: LocalGroups;
  readonly #listeners: PresenceListeners;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #publishCapacity: number;
  // ARGV[1..3] of every script: replay window, replay capacity, how long quiet keys live.
  readonly #trim: [number, number, number];
  readonly #presenceTtl: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #started: Promise<void>;
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
    const window = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.#presenceTtl = options.presenceTtl ?? DEFAULT_PRESENCE_TTL;
    this.#trim = [
      window,
      options.replayCapacity ?? DEFAULT_REPLAY_CAPACITY,
      2 * Math.max(window, this.#presenceTtl),
    ];
    this.#publisher = new Redis(url, { ...options.redis });
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
    this.#heartbeat = setInterval(() => void this.#beat(), Math.max(1, Math.floor(this.#presenceTtl / 3)));
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
    const start = await this.#join(group, member, info);
    this.#groups.add(group, member, () => void this.groupDiscard(group, member).catch(() => undefined), info);
    await this.#watch(group, start);
  }

  async groupDiscard(group: string, member: GroupMember): Promise<void> {
    if (!this.#groups.has(group, member)) return;
    const last = this.#groups.remove(group, member);
    if (last && !this.#listeners.has(group)) this.#reader.unwatch(this.#key('stream', group));
    await LEAVE.run(this.#publisher, this.#groupKeys(group), [...this.#trim, channelNameOf(member)]);
  }

  /**
   * Appends `message` to the group's stream; resolves once Redis has it (each process then hands it
   * to its members, never waiting for them). Rejects with `ChannelFull` when `publishCapacity`
   * messages are already waiting for Redis's answer.
   */
  async groupSend(group: string, message: Message): Promise<void> {
    const [kind, data] = encode(message);
    await this.#bounded(group, () =>
      PUBLISH.run(
        this.#publisher,
        [this.#key('stream', group), this.#key('seq', group)],
        [...this.#trim, kind, data],
      ),
    );
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
    const [kind, data] = encode(message);
    const keys = [this.#key('alive', holder), this.#key('inbox', holder), this.#key('inbox-seq', holder)];
    const appended = await this.#bounded(channelName, () =>
      SEND.run(this.#publisher, keys, [...this.#trim, kind, data, channelName]),
    );
    if (appended === 0) this.#droppedSends += 1;
  }

  /** Every member of `group` whose process is alive; those of a dead process are removed (with a leave event). */
  async groupMembers(group: string): Promise<PresentMember[]> {
    const members = (await MEMBERS.run(this.#publisher, this.#groupKeys(group), [
      ...this.#trim,
      this.#key('alive', ''),
    ])) as string[];
    return members.map((member) => JSON.parse(member) as PresentMember);
  }

  async groupSize(group: string): Promise<number> {
    return (await this.groupMembers(group)).length;
  }

  /** Listens to the group's stream from now on (joins and leaves of every process). */
  async onPresence(group: string, listener: PresenceListener): Promise<() => void> {
    const remove = this.#listeners.add(group, listener);
    const stream = this.#key('stream', group);
    if (!this.#reader.watching(stream)) {
      const [id, seq] = (await TAIL.run(this.#publisher, [stream, this.#key('seq', group)], [])) as [
        string,
        string,
      ];
      await this.#watch(group, { id, seq: Number(seq) });
    }
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
          leaving.push(
            LEAVE.run(this.#publisher, this.#groupKeys(group), [...this.#trim, channelNameOf(member)]),
          );
        }
      }
      if (readers === undefined || readers.size === 0)
        leaving.push(this.#publisher.del(this.#key('alive', PROCESS_ID)));
      await Promise.allSettled(leaving);
    }
    this.#readerClient.disconnect();
    await this.#reader.stop();
    await Promise.allSettled([
      this.#publisher.status === 'ready'
        ? this.#publisher.quit()
        : Promise.resolve(this.#publisher.disconnect()),
    ]);
  }

  // Inside ----------------------------------------------------------------------------------------

  #key(kind: string, name: string): string {
    return `${this.#prefix}:${kind}:${name}`;
  }

  #groupKeys(group: string): string[] {
    return [this.#key('presence', group), this.#key('stream', group), this.#key('seq', group)];
  }

  /** Heartbeat first (so sends to this process are accepted), then read the inbox from its tail. */
  async #start(): Promise<void> {
    await this.#beat();
    const inbox = this.#key('inbox', PROCESS_ID);
    if (!this.#reader.watching(inbox)) {
      const [id, seq] = (await TAIL.run(
        this.#publisher,
        [inbox, this.#key('inbox-seq', PROCESS_ID)],
        [],
      )) as [string, string];
      this.#reader.watch(inbox, { id, seq: Number(seq) });
    }
    this.#reader.start();
  }

  async #join(group: string, member: GroupMember, info: PresenceInfo | undefined): Promise<StreamCursor> {
    const channelName = channelNameOf(member);
    const shown = JSON.stringify(info === undefined ? { channelName } : { channelName, info });
    const [id, seq] = (await JOIN.run(this.#publisher, this.#groupKeys(group), [
      ...this.#trim,
      channelName,
      `${PROCESS_ID} ${shown}`,
      shown,
    ])) as [string, string];
    return { id, seq: Number(seq) };
  }

  /**
   * Reads the group's stream from `start` unless it is read already; a wake-up entry in this
   * process's inbox makes the blocked read start again with it (a read issued before the entry was
   * added returns it at once, so no wake-up is lost).
   */
  async #watch(group: string, start: StreamCursor): Promise<void> {
    await this.#started;
    if (!this.#reader.watch(this.#key('stream', group), start)) return;
    await PUBLISH.run(
      this.#publisher,
      [this.#key('inbox', PROCESS_ID), this.#key('inbox-seq', PROCESS_ID)],
      [...this.#trim, 'w', ''],
    );
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
   * Refreshes this process's heartbeat key. Found missing (expired during a long outage, or Redis
   * restarted empty), every local member is recorded again; the groups listened to are swept of the
   * members of dead processes (their leave events), and every tenth beat all groups read here.
   */
  async #beat(): Promise<void> {
    if (this.#closed) return;
    try {
      const previous = await this.#publisher.set(
        this.#key('alive', PROCESS_ID),
        '1',
        'PX',
        this.#presenceTtl,
        'GET',
      );
      const work: Promise<unknown>[] = [];
      if (previous === null) {
        for (const group of this.#groups.groups()) {
          for (const member of this.#groups.members(group)) {
            work.push(this.#join(group, member, this.#groups.infoOf(group, member)));
          }
        }
      }
      this.#heartbeats += 1;
      const everyGroup = this.#heartbeats % FULL_SWEEP_EVERY === 0;
      const groups = new Set(
        everyGroup ? [...this.#listeners.groups(), ...this.#groups.groups()] : this.#listeners.groups(),
      );
      for (const group of groups) work.push(this.groupMembers(group));
      await Promise.all(work);
    } catch {
      // Redis is away: ioredis reports it, and the next beat tries again.
    }
  }

  #receive(stream: string, entry: StreamEntry): void {
    const groupPrefix = `${this.#prefix}:stream:`;
    if (!stream.startsWith(groupPrefix)) {
      this.#receiveDirect(entry);
      return;
    }
    const group = stream.slice(groupPrefix.length);
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

// The first byte of the kind says how to send the message on: a text or a binary frame.
function encode(message: Message): ['t' | 'b', string | Buffer] {
  return typeof message === 'string' ? ['t', message] : ['b', message];
}

function decode(entry: StreamEntry): Message | null {
  if (entry.kind === 't') return entry.data.toString('utf8');
  if (entry.kind === 'b') return Buffer.from(entry.data);
  return null;
}
