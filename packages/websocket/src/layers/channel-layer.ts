import type { Addressable } from '../channel-names';
import { sendFromGroup, WebSocketConnection, type Message } from '../connection';

/**
 * Anything a group can deliver to: `request.websocket` is one. Its channel name comes from
 * `channelNameOf(member)`, so a member of any kind has one.
 */
export type GroupMember = Addressable;

/** What `groupAdd` may store with a member for presence (`{ username }`): any JSON object. */
export type PresenceInfo = { readonly [key: string]: unknown };

/** One member of a group, as `groupMembers` gives it (whichever process holds its connection). */
export interface PresentMember {
  readonly channelName: string;
  /** The info given to `groupAdd`, if any. */
  readonly info?: PresenceInfo;
}

/** A member joined or left a group (left: discarded, its connection ended, or its process died). */
export interface PresenceEvent {
  readonly type: 'join' | 'leave';
  readonly group: string;
  readonly member: PresentMember;
}

/** Called with each presence event of a group; it must not throw (what it throws is logged). */
export type PresenceListener = (event: PresenceEvent) => void;

/**
 * Channels' channel layer: groups (named sets of connections that a message can be sent to at once),
 * with who is in them (presence), and `send` to one connection by its channel name. In one process
 * use {@link InMemoryChannelLayer}; across processes (several servers behind a load balancer) use
 * `RedisChannelLayer`, whose groups, presence and channel names span every process.
 *
 * No member holds up another, nor the sender: `groupSend` resolves once the message is handed to the
 * layer, and each member's backlog is bounded (see {@link LocalGroups.deliver}).
 */
export interface ChannelLayer {
  /**
   * Adds `member` to `group`; it leaves by itself when its connection ends. `info` (a JSON object,
   * e.g. `{ username }`) is what `groupMembers` and presence events show with it.
   */
  groupAdd(group: string, member: GroupMember, info?: PresenceInfo): Promise<void>;
  /** Removes `member` from `group`. */
  groupDiscard(group: string, member: GroupMember): Promise<void>;
  /**
   * Sends `message` to every member of `group` (text for a string, binary for a Buffer). Resolves once
   * the layer has it, not when the members have read it.
   */
  groupSend(group: string, message: Message): Promise<void>;
  /**
   * Sends `message` to the one connection named `channelName` (its `channelName`), whichever process
   * holds it. A name that is unknown or whose connection has closed is dropped and counted in
   * {@link ChannelLayer.droppedSends}, never an error for the sender.
   */
  send(channelName: string, message: Message): Promise<void>;
  /** Every member of `group`, on every process, each with the info given to `groupAdd`. */
  groupMembers(group: string): Promise<PresentMember[]>;
  /** How many members `group` has, on every process. */
  groupSize(group: string): Promise<number>;
  /**
   * Calls `listener` with every join and leave of `group` (on any process) from now on; resolves,
   * once listening, to a function that stops it.
   */
  onPresence(group: string, listener: PresenceListener): Promise<() => void>;
  /** The members of `group` connected to this process. */
  localMembers(group: string): ReadonlySet<GroupMember>;
  /** Sends dropped because their channel name was unknown or closed (this process's count). */
  readonly droppedSends: number;
  /** Releases connections (Redis). */
  close(): Promise<void>;
}

/** Channels' default capacity of a channel: messages a member may have pending before more are dropped. */
export const DEFAULT_CAPACITY = 100;

/** Group membership in this process, and delivery to it: shared by both layers. */
export class LocalGroups {
  readonly #groups = new Map<string, Set<GroupMember>>();
  // Presence info of the members that were given one, per group.
  readonly #info = new Map<string, Map<GroupMember, PresenceInfo>>();
  readonly #capacity: number;
  // Sends not yet settled, per member that is not a WebSocketConnection (those are bounded by bytes).
  readonly #pending = new Map<GroupMember, number>();

  constructor(capacity: number = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /**
   * Adds the member (or updates its info); returns true when it is the group's first local member.
   * `onEnded` runs when the member's connection ends, if it is still in the group.
   */
  add(group: string, member: GroupMember, onEnded: () => void, info?: PresenceInfo): boolean {
    let members = this.#groups.get(group);
    const first = members === undefined;
    if (members === undefined) {
      members = new Set();
      this.#groups.set(group, members);
    }
    if (info !== undefined) {
      let infos = this.#info.get(group);
      if (infos === undefined) this.#info.set(group, (infos = new Map()));
      infos.set(member, info);
    }
    if (!members.has(member)) {
      members.add(member);
      void member.ended.then(() => {
        if (this.has(group, member)) onEnded();
      });
    }
    return first;
  }

  has(group: string, member: GroupMember): boolean {
    return this.#groups.get(group)?.has(member) ?? false;
  }

  /** The info given when `member` joined `group`. */
  infoOf(group: string, member: GroupMember): PresenceInfo | undefined {
    return this.#info.get(group)?.get(member);
  }

  /** Removes the member; returns true when the group has no local member left. */
  remove(group: string, member: GroupMember): boolean {
    const members = this.#groups.get(group);
    if (members === undefined) return false;
    members.delete(member);
    const infos = this.#info.get(group);
    infos?.delete(member);
    if (infos?.size === 0) this.#info.delete(group);
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

  /** Hands `message` to one member under the same bounds as {@link LocalGroups.deliver}. */
  deliverTo(member: GroupMember, message: Message): boolean {
    if (!(member instanceof WebSocketConnection)) {
      this.#sendBounded(member, message);
      return false;
    }
    const payload = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    return sendFromGroup(member, payload, typeof message !== 'string');
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
