import { Redis, type RedisOptions } from 'ioredis';
import { consoleLogger, type Logger } from '@manouche/core';
import type { Message } from '../connection';
import { ChannelFull } from '../errors';
import { LocalGroups, type ChannelLayer, type GroupMember } from './channel-layer';

/** Options of {@link RedisChannelLayer}. */
export interface RedisChannelLayerOptions {
  /** Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of the pub/sub channels, to share one Redis between applications. Default `manouche`. */
  prefix?: string;
  /** Passed to ioredis. */
  redis?: RedisOptions;
  /** Where connection errors are reported (default: one line on stderr); ioredis keeps reconnecting. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Messages published and not yet acknowledged by Redis (while it is slow, or away and ioredis
   * reconnecting) past which `groupSend` rejects with `ChannelFull` instead of queueing more.
   * Default 1000.
   */
  publishCapacity?: number;
  /** As `InMemoryChannelLayer`'s: pending sends of a member that is not a WebSocket. Default 100. */
  capacity?: number;
}

const DEFAULT_PUBLISH_CAPACITY = 1000;

// The first byte of a published payload says how to send it on: text or binary frame.
const TEXT = 0x74;
const BINARY = 0x62;

/**
 * Groups across processes over Redis pub/sub (with ioredis: reconnection and pub/sub framing are
 * its job). Each process subscribes to the channels of the groups it has members in and delivers
 * what arrives to those members; `groupSend` publishes, so every process's members get it.
 */
export class RedisChannelLayer implements ChannelLayer {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #groups: LocalGroups;
  readonly #publishCapacity: number;
  #publishing = 0;

  constructor(options: RedisChannelLayerOptions = {}) {
    const url = options.url ?? 'redis://127.0.0.1:6379';
    this.#prefix = options.prefix ?? 'manouche';
    this.#groups = new LocalGroups(options.capacity);
    this.#publishCapacity = options.publishCapacity ?? DEFAULT_PUBLISH_CAPACITY;
    const logger = options.logger ?? consoleLogger;
    this.#publisher = new Redis(url, { ...options.redis });
    // No ready check on the subscriber: a SUBSCRIBE queued before the connection is up would put it in
    // subscriber mode, where ioredis's INFO-based ready check is refused.
    this.#subscriber = new Redis(url, { ...options.redis, enableReadyCheck: false });
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on('error', (error: Error) => logger.warn(`RedisChannelLayer ${url}: ${error.message}`));
    }
    this.#subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) =>
      this.#receive(channel.toString(), payload),
    );
  }

  async groupAdd(group: string, member: GroupMember): Promise<void> {
    const first = this.#groups.add(group, member, () => void this.groupDiscard(group, member));
    if (first) await this.#subscriber.subscribe(this.#channel(group));
  }

  async groupDiscard(group: string, member: GroupMember): Promise<void> {
    if (this.#groups.remove(group, member)) await this.#subscriber.unsubscribe(this.#channel(group));
  }

  /**
   * Publishes `message`; resolves once Redis has it (each process then hands it to its members, never
   * waiting for them). Rejects with `ChannelFull` when `publishCapacity` publishes are already waiting
   * for Redis's answer.
   */
  async groupSend(group: string, message: Message): Promise<void> {
    if (this.#publishing >= this.#publishCapacity) {
      throw new ChannelFull(
        `RedisChannelLayer: ${this.#publishing} messages are waiting for Redis (publishCapacity); ${group} not sent`,
      );
    }
    const payload =
      typeof message === 'string'
        ? Buffer.concat([Buffer.from([TEXT]), Buffer.from(message, 'utf8')])
        : Buffer.concat([Buffer.from([BINARY]), message]);
    this.#publishing += 1;
    try {
      await this.#publisher.publish(this.#channel(group), payload);
    } finally {
      this.#publishing -= 1;
    }
  }

  localMembers(group: string): ReadonlySet<GroupMember> {
    return this.#groups.members(group);
  }

  /**
   * Closes both connections: politely (QUIT) when connected, at once otherwise, so a layer whose
   * Redis is away still closes; publishes still waiting then reject.
   */
  async close(): Promise<void> {
    await Promise.allSettled(
      [this.#subscriber, this.#publisher].map((client) =>
        client.status === 'ready' ? client.quit() : Promise.resolve(client.disconnect()),
      ),
    );
  }

  #channel(group: string): string {
    return `${this.#prefix}:group:${group}`;
  }

  #receive(channel: string, payload: Buffer): void {
    const prefix = `${this.#prefix}:group:`;
    if (!channel.startsWith(prefix) || payload.length === 0) return;
    const body = payload.subarray(1);
    const message: Message = payload[0] === TEXT ? body.toString('utf8') : Buffer.from(body);
    this.#groups.deliver(channel.slice(prefix.length), message);
  }
}
