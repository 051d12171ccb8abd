import type { WebSocketConnection } from '@manouche/core';
import type { ChannelLayer } from '@manouche/websocket';
import type { Comment } from './models';

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

  /** Pushes the comment; a layer that can't deliver (Redis down) costs the push, never the request. */
  publish(comment: Comment): void {
    this.#layer.groupSend(groupOf(comment.post_id), JSON.stringify(comment)).catch(() => undefined);
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

/** Every post's chat room: who is in it, and broadcasting to them. */
export class ChatRooms {
  readonly #rooms = new Map<number, Set<Member>>();
  #guests = 0;

  /** A name for a reader who is not logged in: `guest-1`, `guest-2`... */
  guestName(): string {
    return `guest-${++this.#guests}`;
  }

  join(postId: number, ws: WebSocketConnection, name: string): Member {
    let room = this.#rooms.get(postId);
    if (room === undefined) {
      room = new Set();
      this.#rooms.set(postId, room);
    }
    const member = { ws, name };
    room.add(member);
    // send() never rejects unhandled: a member who just left costs nothing.
    void ws.send(JSON.stringify({ type: 'welcome', you: name } satisfies ChatEvent));
    this.#broadcastPresence(postId);
    return member;
  }

  leave(postId: number, member: Member): void {
    const room = this.#rooms.get(postId);
    if (room === undefined) return;
    room.delete(member);
    if (room.size === 0) this.#rooms.delete(postId);
    else this.#broadcastPresence(postId);
  }

  /** Who is in the room, sorted, each name once (a user with two tabs open counts once). */
  presence(postId: number): string[] {
    const names = new Set([...(this.#rooms.get(postId) ?? [])].map((member) => member.name));
    return [...names].sort();
  }

  say(postId: number, user: string, text: string): void {
    this.broadcast(postId, { type: 'message', user, text, at: new Date().toISOString() });
  }

  broadcast(postId: number, event: ChatEvent): void {
    const text = JSON.stringify(event);
    for (const member of this.#rooms.get(postId) ?? []) void member.ws.send(text);
  }

  #broadcastPresence(postId: number): void {
    this.broadcast(postId, { type: 'presence', users: this.presence(postId) });
  }
}
