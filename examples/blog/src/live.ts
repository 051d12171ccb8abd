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

/**
 * Per-post chat rooms. Messages go through the application's channel layer (group
 * `post-<id>-chat`), so with a `RedisChannelLayer` everyone in the room gets them, whichever server
 * process they are connected to. The presence list is this process's: it names the readers connected
 * here (sharing it would need state beyond what a channel layer offers).
 */
export class ChatRooms {
  readonly #layer: ChannelLayer;
  readonly #rooms = new Map<number, Set<Member>>();
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
    let room = this.#rooms.get(postId);
    if (room === undefined) {
      room = new Set();
      this.#rooms.set(postId, room);
    }
    const member = { ws, name };
    room.add(member);
    await this.#layer.groupAdd(chatGroupOf(postId), ws);
    // send() never rejects unhandled: a member who just left costs nothing.
    void ws.send(JSON.stringify({ type: 'welcome', you: name } satisfies ChatEvent));
    this.#broadcastPresence(postId);
    return member;
  }

  leave(postId: number, member: Member): void {
    void this.#layer.groupDiscard(chatGroupOf(postId), member.ws).catch(() => undefined);
    const room = this.#rooms.get(postId);
    if (room === undefined) return;
    room.delete(member);
    if (room.size === 0) this.#rooms.delete(postId);
    else this.#broadcastPresence(postId);
  }

  /** Who is in the room on this process, sorted, each name once (two tabs count once). */
  presence(postId: number): string[] {
    const names = new Set([...(this.#rooms.get(postId) ?? [])].map((member) => member.name));
    return [...names].sort();
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

  /** The presence list to this process's readers: each send is bounded like any other (not awaited). */
  #broadcastPresence(postId: number): void {
    const text = JSON.stringify({ type: 'presence', users: this.presence(postId) } satisfies ChatEvent);
    for (const member of this.#rooms.get(postId) ?? []) void member.ws.send(text);
  }
}

function chatGroupOf(postId: number): string {
  return `post-${postId}-chat`;
}
