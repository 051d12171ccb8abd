import type { Message } from '../connection';
import { LocalGroups, type ChannelLayer, type GroupMember } from './channel-layer';

/** Groups within one process (the default). */
export class InMemoryChannelLayer implements ChannelLayer {
  readonly #groups = new LocalGroups();

  async groupAdd(group: string, member: GroupMember): Promise<void> {
    this.#groups.add(group, member, () => this.#groups.remove(group, member));
  }

  async groupDiscard(group: string, member: GroupMember): Promise<void> {
    this.#groups.remove(group, member);
  }

  groupSend(group: string, message: Message): Promise<void> {
    return this.#groups.deliver(group, message);
  }

  localMembers(group: string): ReadonlySet<GroupMember> {
    return this.#groups.members(group);
  }

  async close(): Promise<void> {}
}
