/**
 * Channel names: the address of one connection (Channels' `channel_name`), which any process can
 * `send` to through the channel layer. Every kind of connection (WebSocket, and the fallback
 * transports) takes its name from here, so one registry finds them all.
 *
 * A name is `<process>.<random>`: the first part says which process holds the connection, so a
 * send is routed to it without asking Redis; the random part (96 bits) makes it unguessable and
 * unique across processes. A name is drawn on first use only: a connection nobody addresses costs
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Message } from './connection';

/** What a channel name can address: `request.websocket` is one. */
export interface Addressable {
  send(data: Message): Promise<void>;
  readonly ended: Promise<void>;
}

/** This process's part of every channel name it hands out (72 random bits, base64url). */
export const PROCESS_ID = randomBytes(9).toString('base64url');

const byName = new Map<string, Addressable>();
const nameOf = new WeakMap<Addressable, string>();

/**
 * The channel name of `member`, drawn and registered on first call; it is forgotten once the member
 * has ended, so a send to it is then dropped like a send to an unknown name.
 */
export function channelNameOf(member: Addressable): string {
  let name = nameOf.get(member);
  if (name === undefined) {
    name = `${PROCESS_ID}.${randomBytes(12).toString('base64url')}`;
    nameOf.set(member, name);
    byName.set(name, member);
    const registered = name;
    void member.ended.then(() => byName.delete(registered));
  }
  return name;
}

/** The open connection of this process named `channelName`, if any. */
export function findChannel(channelName: string): Addressable | undefined {
  return byName.get(channelName);
}

/** The process part of `channelName`, or `null` for a string that is not a channel name. */
export function processOfChannel(channelName: string): string | null {
  const dot = channelName.indexOf('.');
  return dot > 0 && dot < channelName.length - 1 ? channelName.slice(0, dot) : null;
}
