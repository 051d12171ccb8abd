import { consoleLogger, type Logger } from '@manouche/core';
import { findChannel } from '../channel-names';
import type { Message } from '../connection';
import {
  LocalGroups,
  type ChannelLayer,
  type GroupMember,
  type PresenceInfo,
  type PresenceListener,
  type PresentMember,
} from './channel-layer';
import { PresenceListeners, presentMember } from './presence';

/** Options of {@link InMemoryChannelLayer}. */
export interface InMemoryChannelLayerOptions {
  /**
   * Sends a member that is not a WebSocket connection may have pending (not yet settled) before
   * further messages to it are dropped. Default 100, as Channels' channel capacity. WebSocket
   * connections are bounded by `WEBSOCKET_MAX_BUFFERED` instead.
   */
  capacity?: number;
  /** Where a presence listener that throws is reported. Default: one line on stderr. */
  logger?: Pick<Logger, 'warn'>;
}

const RESOLVED = Promise.resolve();

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Groups within one process (the default). */
export class InMemoryChannelLayer implements ChannelLayer {
  readonly #groups: LocalGroups;
  readonly #listeners: PresenceListeners;
  #droppedSends = 0;

  constructor(options: InMemoryChannelLayerOptions = {}) {
    this.#groups = new LocalGroups(options.capacity);
    this.#listeners = new PresenceListeners(options.logger ?? consoleLogger);
  }

  async groupAdd(group: string, member: GroupMember, info?: PresenceInfo): Promise<void> {
    const joined = !this.#groups.has(group, member);
    this.#groups.add(group, member, () => this.#leave(group, member), info);
    if (joined) this.#listeners.emit({ type: 'join', group, member: presentMember(member, info) });
  }

  async groupDiscard(group: string, member: GroupMember): Promise<void> {
    if (this.#groups.has(group, member)) this.#leave(group, member);
  }

  /**
   * Hands `message` to every member's backlog, waiting for none of them to read it. Resolves at once,
   * or, when a member's socket was left with bytes waiting, on the next turn of the event loop: a
   * publisher that loops over `groupSend` then lets the sockets write between two messages instead
   * of piling the whole burst up in one tick (which would push every member past its limit).
   */
  groupSend(group: string, message: Message): Promise<void> {
    return this.#groups.deliver(group, message) ? nextTurn() : RESOLVED;
  }

  /** Hands `message` to the connection named `channelName`, or counts it dropped. */
  send(channelName: string, message: Message): Promise<void> {
    const member = findChannel(channelName);
    if (member === undefined) {
      this.#droppedSends += 1;
      return RESOLVED;
    }
    return this.#groups.deliverTo(member, message) ? nextTurn() : RESOLVED;
  }

  async groupMembers(group: string): Promise<PresentMember[]> {
    return [...this.#groups.members(group)].map((member) =>
      presentMember(member, this.#groups.infoOf(group, member)),
    );
  }

  async groupSize(group: string): Promise<number> {
    return this.#groups.members(group).size;
  }

  async onPresence(group: string, listener: PresenceListener): Promise<() => void> {
    return this.#listeners.add(group, listener);
  }

  localMembers(group: string): ReadonlySet<GroupMember> {
    return this.#groups.members(group);
  }

  get droppedSends(): number {
    return this.#droppedSends;
  }

  async close(): Promise<void> {}

  #leave(group: string, member: GroupMember): void {
    const info = this.#groups.infoOf(group, member);
    this.#groups.remove(group, member);
    this.#listeners.emit({ type: 'leave', group, member: presentMember(member, info) });
  }
}
