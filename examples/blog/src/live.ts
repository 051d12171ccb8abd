import { randomInt } from 'node:crypto';
import type { ServerSentEvent, WebSocketConnection } from '@manouche/core';
import type { ChannelLayer, GroupMember } from '@manouche/websocket';
import type { Comment } from './models';

/** Comments one event stream may have waiting before it is ended (the browser then resumes). */
export const FEED_CAPACITY = 100;

/**
 * Live comments: each post's open comment sockets form a group of the application's channel layer,
 * and every comment added is sent to that group. With `CHANNEL_LAYER` set to a `RedisChannelLayer`,
 * comments added through one server process reach the sockets of every process.
 */
export class CommentHub {
  readonly #layer: ChannelLayer;

  constructor(layer: ChannelLayer) {
    this.#layer = layer;
  }

  register(postId: number, ws: WebSocketConnection): Promise<void> {
    return this.#layer.groupAdd(groupOf(postId), ws);
  }

  unregister(postId: number, ws: WebSocketConnection): Promise<void> {
    return this.#layer.groupDiscard(groupOf(postId), ws);
  }

  /** How many sockets of this process are open for `postId`. */
  count(postId: number): number {
    return this.#layer.localMembers(groupOf(postId)).size;
  }

  /**
   * The comments of `postId` as Server-Sent Events (data: the comment's JSON, id: its id): first those
   * after `since` (`backlog` reads them), then each new one. Joins the post's group first and then
   * reads the backlog, so none is missed in between; a comment seen twice that way is sent once.
   */
  events(
    postId: number,
    since: number,
    backlog: (after: number) => Comment[],
  ): AsyncIterable<ServerSentEvent> {
    const layer = this.#layer;
    const group = groupOf(postId);
    return {
      [Symbol.asyncIterator]: () => {
        const feed = new CommentFeed(since);
        const joined = layer.groupAdd(group, feed).then(() => feed.prepend(backlog(since)));
        return {
          next: async () => {
            await joined;
            return feed.next();
          },
          return: async () => {
            feed.end();
            await layer.groupDiscard(group, feed).catch(() => undefined);
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /**
   * Pushes the comment; a layer that can't deliver (Redis down, or its `publishCapacity` reached)
   * costs the push, never the request. Not awaited: the request answers without waiting for Redis,
   * and what may pile up meanwhile is bounded by the layer (`publishCapacity`) and by each socket
   * (`WEBSOCKET_MAX_BUFFERED`).
   */
  publish(comment: Comment): void {
    this.#layer.groupSend(groupOf(comment.post_id), JSON.stringify(comment)).catch(() => undefined);
  }
}

/**
 * One event stream's membership of a post's group: what the group sends waits here until the stream
 * takes it (at once, normally: `EventStreamResponse` reads as fast as it can and bounds what waits for
 * the browser). Past {@link FEED_CAPACITY} comments waiting, the feed ends; the browser reconnects
 * with `Last-Event-ID` and gets the ones it missed from the database.
 */
class CommentFeed implements GroupMember {
  readonly ended: Promise<void>;
  #finish: () => void = () => undefined;
  #queue: Comment[] = [];
  #wake: (() => void) | null = null;
  #lastId: number;
  #over = false;

  constructor(since: number) {
    this.#lastId = since;
    this.ended = new Promise((resolve) => (this.#finish = resolve));
  }

  send(data: string | Buffer): Promise<void> {
    if (this.#over || typeof data !== 'string') return Promise.resolve();
    if (this.#queue.length >= FEED_CAPACITY) {
      this.end();
      return Promise.resolve();
    }
    this.#queue.push(JSON.parse(data) as Comment);
    this.#wakeUp();
    return Promise.resolve();
  }

  /** The backlog goes before whatever the group sent meanwhile. */
  prepend(comments: Comment[]): void {
    this.#queue.unshift(...comments);
  }

  async next(): Promise<IteratorResult<ServerSentEvent>> {
    for (;;) {
      const comment = this.#queue.shift();
      if (comment !== undefined) {
        if (comment.id <= this.#lastId) continue;
        this.#lastId = comment.id;
        return { done: false, value: { data: JSON.stringify(comment), id: comment.id } };
      }
      if (this.#over) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  end(): void {
    this.#over = true;
    this.#wakeUp();
    this.#finish();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

function groupOf(postId: number): string {
  return `post-${postId}-comments`;
}

/** What the chat sends: a message, the presence list, and (to a newcomer only) its own name. */
export type ChatEvent =
  | { type: 'welcome'; you: string }
  | { type: 'presence'; users: string[] }
  | { type: 'message'; user: string; text: string; at: string };

interface Member {
  ws: WebSocketConnection;
  name: string;
}

/** A room with readers on this process: its presence listener, and whether a refresh is due. */
interface Room {
  readers: number;
  listening: Promise<() => void>;
  refreshing: boolean;
  again: boolean;
}

/**
 * Per-post chat rooms. Messages go through the application's channel layer (group
 * `post-<id>-chat`), so with a `RedisChannelLayer` everyone in the room gets them, whichever server
 * process they are connected to. The presence list is the channel layer's too: each reader joins
 * the group with its name, and on every join or leave (on any process) each process sends the
 * room's list, read from the layer, to its own readers; so every process shows the same list.
 */
export class ChatRooms {
  readonly #layer: ChannelLayer;
  readonly #rooms = new Map<number, Room>();
  // Guest names are drawn at random, so two processes don't both hand out `guest-1`.
  readonly #prefix = randomInt(1000, 10000);
  #guests = 0;

  constructor(layer: ChannelLayer) {
    this.#layer = layer;
  }

  /** A name for a reader who is not logged in: `guest-4821-1`, `guest-4821-2`... */
  guestName(): string {
    return `guest-${this.#prefix}-${++this.#guests}`;
  }

  async join(postId: number, ws: WebSocketConnection, name: string): Promise<Member> {
    // send() never rejects unhandled: a member who just left costs nothing. Sent first, so the
    // newcomer has its name before the presence list its joining brings.
    void ws.send(JSON.stringify({ type: 'welcome', you: name } satisfies ChatEvent));
    let room = this.#rooms.get(postId);
    if (room === undefined) {
      const listening = this.#layer.onPresence(chatGroupOf(postId), () => this.#refresh(postId));
      room = { readers: 0, listening, refreshing: false, again: false };
      this.#rooms.set(postId, room);
    }
    room.readers += 1;
    await room.listening;
    await this.#layer.groupAdd(chatGroupOf(postId), ws, { username: name });
    return { ws, name };
  }

  leave(postId: number, member: Member): void {
    void this.#layer.groupDiscard(chatGroupOf(postId), member.ws).catch(() => undefined);
    const room = this.#rooms.get(postId);
    if (room === undefined) return;
    room.readers -= 1;
    if (room.readers > 0) return;
    this.#rooms.delete(postId);
    void room.listening.then((stop) => stop()).catch(() => undefined);
  }

  /** Who is in the room on every process, sorted, each name once (two tabs count once). */
  async presence(postId: number): Promise<string[]> {
    const members = await this.#layer.groupMembers(chatGroupOf(postId));
    const names = new Set(members.map((member) => String(member.info?.username ?? '')));
    names.delete('');
    return [...names].sort();
  }

  /** How many readers of the room are connected to this process. */
  here(postId: number): number {
    return this.#layer.localMembers(chatGroupOf(postId)).size;
  }

  /**
   * Sends a message to the room on every process; resolves once the channel layer has it (never
   * rejects: a layer that can't deliver costs the message only). The chat view awaits it before
   * reading the next line, so a sender faster than the layer is slowed down rather than queued.
   * A reader who doesn't keep up is cut off by its own limit (`WEBSOCKET_MAX_BUFFERED`, close 1013).
   */
  say(postId: number, user: string, text: string): Promise<void> {
    const event: ChatEvent = { type: 'message', user, text, at: new Date().toISOString() };
    return this.#layer.groupSend(chatGroupOf(postId), JSON.stringify(event)).catch(() => undefined);
  }

  /**
   * Sends the room's list to this process's readers (each send bounded like any other, not
   * awaited). Events that arrive while the list is being read make one more round, not one each.
   */
  #refresh(postId: number): void {
    const room = this.#rooms.get(postId);
    if (room === undefined) return;
    if (room.refreshing) {
      room.again = true;
      return;
    }
    room.refreshing = true;
    void (async () => {
      try {
        do {
          room.again = false;
          const text = JSON.stringify({
            type: 'presence',
            users: await this.presence(postId),
          } satisfies ChatEvent);
          for (const reader of this.#layer.localMembers(chatGroupOf(postId))) void reader.send(text);
        } while (room.again);
      } catch {
        // Redis away: the next join or leave sends the list again.
      } finally {
        room.refreshing = false;
      }
    })();
  }
}

function chatGroupOf(postId: number): string {
  return `post-${postId}-chat`;
}
