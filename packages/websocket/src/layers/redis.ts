import { Redis, type RedisOptions } from 'ioredis';
import { consoleLogger, type Logger } from '@manouche/core';
import type { Message } from '../connection';
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
}

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
  readonly #groups = new LocalGroups();

  constructor(options: RedisChannelLayerOptions = {}) {
    const url = options.url ?? 'redis://127.0.0.1:6379';
    this.#prefix = options.prefix ?? 'manouche';
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

  async groupSend(group: string, message: Message): Promise<void> {
    const payload =
      typeof message === 'string'
        ? Buffer.concat([Buffer.from([TEXT]), Buffer.from(message, 'utf8')])
        : Buffer.concat([Buffer.from([BINARY]), message]);
    await this.#publisher.publish(this.#channel(group), payload);
  }

  localMembers(group: string): ReadonlySet<GroupMember> {
    return this.#groups.members(group);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#subscriber.quit(), this.#publisher.quit()]);
  }

  #channel(group: string): string {
    return `${this.#prefix}:group:${group}`;
  }

  #receive(channel: string, payload: Buffer): void {
    const prefix = `${this.#prefix}:group:`;
    if (!channel.startsWith(prefix) || payload.length === 0) return;
    const body = payload.subarray(1);
    const message: Message = payload[0] === TEXT ? body.toString('utf8') : Buffer.from(body);
    void this.#groups.deliver(channel.slice(prefix.length), message);
  }
}
