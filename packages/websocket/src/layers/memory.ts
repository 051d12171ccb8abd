import type { Message } from '../connection';
import { LocalGroups, type ChannelLayer, type GroupMember } from './channel-layer';

/** Options of {@link InMemoryChannelLayer}. */
export interface InMemoryChannelLayerOptions {
  /**
   * Sends a member that is not a WebSocket connection may have pending (not yet settled) before
   * further messages to it are dropped. Default 100, as Channels' channel capacity. WebSocket
   * connections are bounded by `WEBSOCKET_MAX_BUFFERED` instead.
   */
  capacity?: number;
}

const RESOLVED = Promise.resolve();

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Groups within one process (the default). */
export class InMemoryChannelLayer implements ChannelLayer {
  readonly #groups: LocalGroups;

  constructor(options: InMemoryChannelLayerOptions = {}) {
    this.#groups = new LocalGroups(options.capacity);
  }

  async groupAdd(group: string, member: GroupMember): Promise<void> {
    this.#groups.add(group, member, () => this.#groups.remove(group, member));
  }

  async groupDiscard(group: string, member: GroupMember): Promise<void> {
    this.#groups.remove(group, member);
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

  localMembers(group: string): ReadonlySet<GroupMember> {
    return this.#groups.members(group);
  }

  async close(): Promise<void> {}
}
