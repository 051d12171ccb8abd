import { escapeForLog, type Logger } from '@manouche/core';
import { channelNameOf } from '../channel-names';
import type {
  GroupMember,
  PresenceEvent,
  PresenceInfo,
  PresenceListener,
  PresentMember,
} from './channel-layer';

/** The presence listeners of one layer, per group (both layers hand their events to one of these). */
export class PresenceListeners {
  readonly #byGroup = new Map<string, Set<PresenceListener>>();
  readonly #logger: Pick<Logger, 'warn'>;

  constructor(logger: Pick<Logger, 'warn'>) {
    this.#logger = logger;
  }

  /** Adds `listener`; returns the function that removes it. */
  add(group: string, listener: PresenceListener): () => void {
    let listeners = this.#byGroup.get(group);
    if (listeners === undefined) this.#byGroup.set(group, (listeners = new Set()));
    // A wrapper, so the same function added twice is called twice and removed once per call.
    const entry: PresenceListener = (event) => listener(event);
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.#byGroup.get(group) === listeners) this.#byGroup.delete(group);
    };
  }

  has(group: string): boolean {
    return this.#byGroup.has(group);
  }

  groups(): string[] {
    return [...this.#byGroup.keys()];
  }

  /** Calls the group's listeners; one that throws is logged and costs the others nothing. */
  emit(event: PresenceEvent): void {
    const listeners = this.#byGroup.get(event.group);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        this.#logger.warn(
          `Presence listener of group ${escapeForLog(event.group)} threw: ${escapeForLog(why)}`,
        );
      }
    }
  }
}

/** How `groupMembers` shows a local member. */
export function presentMember(member: GroupMember, info: PresenceInfo | undefined): PresentMember {
  const channelName = channelNameOf(member);
  return info === undefined ? { channelName } : { channelName, info };
}
