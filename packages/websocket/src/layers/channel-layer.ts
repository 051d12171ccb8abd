import { sendFromGroup, WebSocketConnection, type Message } from '../connection';

/** Anything a group can deliver to: `request.websocket` is one. */
export interface GroupMember {
  send(data: string | Buffer): Promise<void>;
  readonly ended: Promise<void>;
}

/**
 * Channels' channel layer, reduced to groups: named sets of WebSocket connections that a message can be
 * sent to at once. In one process use {@link InMemoryChannelLayer}; across processes (several
 * servers behind a load balancer) use `RedisChannelLayer`, whose `groupSend` reaches the members
 * connected to every process.
 *
 * No member holds up another, nor the sender: `groupSend` resolves once the message is handed to the
 * layer, and each member's backlog is bounded (see {@link LocalGroups.deliver}).
 */
export interface ChannelLayer {
  /** Adds `member` to `group`; it leaves by itself when its connection ends. */
  groupAdd(group: string, member: GroupMember): Promise<void>;
  /** Removes `member` from `group`. */
  groupDiscard(group: string, member: GroupMember): Promise<void>;
  /**
   * Sends `message` to every member of `group` (text for a string, binary for a Buffer). Resolves once
   * the layer has it, not when the members have read it.
   */
  groupSend(group: string, message: Message): Promise<void>;
  /** The members of `group` connected to this process. */
  localMembers(group: string): ReadonlySet<GroupMember>;
  /** Releases connections (Redis). */
  close(): Promise<void>;
}

/** Channels' default capacity of a channel: messages a member may have pending before more are dropped. */
export const DEFAULT_CAPACITY = 100;

/** Group membership in this process, and delivery to it: shared by both layers. */
export class LocalGroups {
  readonly #groups = new Map<string, Set<GroupMember>>();
  readonly #capacity: number;
  // Sends not yet settled, per member that is not a WebSocketConnection (those are bounded by bytes).
  readonly #pending = new Map<GroupMember, number>();

  constructor(capacity: number = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** Adds the member; resolves to true when it is the group's first local member. */
  add(group: string, member: GroupMember, onEnded: () => void): boolean {
    let members = this.#groups.get(group);
    const first = members === undefined;
    if (members === undefined) {
      members = new Set();
      this.#groups.set(group, members);
    }
    if (!members.has(member)) {
      members.add(member);
      void member.ended.then(onEnded);
    }
    return first;
  }

  /** Removes the member; resolves to true when the group has no local member left. */
  remove(group: string, member: GroupMember): boolean {
    const members = this.#groups.get(group);
    if (members === undefined) return false;
    members.delete(member);
    if (members.size > 0) return false;
    this.#groups.delete(group);
    return true;
  }

  members(group: string): ReadonlySet<GroupMember> {
    return this.#groups.get(group) ?? new Set();
  }

  groups(): string[] {
    return [...this.#groups.keys()];
  }

  /**
   * Hands `message` to every local member, synchronously, and waits for none of them:
   *
   * - a WebSocket connection gets it as `send()` would send it, encoded once for the whole group; its
   *   backlog is what waits in its socket for the peer, and past `WEBSOCKET_MAX_BUFFERED` bytes the
   *   connection is closed with 1013 (a member that silently missed messages would show a wrong
   *   room; a closed one knows to reconnect and catch up);
   * - any other member gets `member.send(message)`; past `capacity` sends not yet settled, messages
   *   to it are dropped until it catches up (it has no way to be closed; Channels drops too).
   *
   * A member that left meanwhile is skipped, never an error. Returns whether some connection has
   * bytes left waiting for its peer (see `InMemoryChannelLayer.groupSend`).
   */
  deliver(group: string, message: Message): boolean {
    const members = this.#groups.get(group);
    if (members === undefined) return false;
    let payload: Buffer | null = null;
    let backlog = false;
    for (const member of members) {
      if (member instanceof WebSocketConnection) {
        payload ??= typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
        if (sendFromGroup(member, payload, typeof message !== 'string')) backlog = true;
      } else {
        this.#sendBounded(member, message);
      }
    }
    return backlog;
  }

  #sendBounded(member: GroupMember, message: Message): void {
    const pending = this.#pending.get(member) ?? 0;
    if (pending >= this.#capacity) return;
    this.#pending.set(member, pending + 1);
    const settle = (): void => {
      const left = this.#pending.get(member)! - 1;
      if (left === 0) this.#pending.delete(member);
      else this.#pending.set(member, left);
    };
    let sent: Promise<void>;
    try {
      sent = Promise.resolve(member.send(message));
    } catch {
      sent = Promise.resolve();
    }
    sent.then(settle, settle);
  }
}
