import type { Message } from '../connection';

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
 */
export interface ChannelLayer {
  /** Adds `member` to `group`; it leaves by itself when its connection ends. */
  groupAdd(group: string, member: GroupMember): Promise<void>;
  /** Removes `member` from `group`. */
  groupDiscard(group: string, member: GroupMember): Promise<void>;
  /** Sends `message` to every member of `group` (text for a string, binary for a Buffer). */
  groupSend(group: string, message: Message): Promise<void>;
  /** The members of `group` connected to this process. */
  localMembers(group: string): ReadonlySet<GroupMember>;
  /** Releases connections (Redis). */
  close(): Promise<void>;
}

/** Group membership in this process: shared by both layers. */
export class LocalGroups {
  readonly #groups = new Map<string, Set<GroupMember>>();

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

  /** Sends to every local member; a member that left meanwhile is skipped, never an error. */
  async deliver(group: string, message: Message): Promise<void> {
    const members = [...this.members(group)];
    await Promise.allSettled(members.map((member) => member.send(message)));
  }
}
