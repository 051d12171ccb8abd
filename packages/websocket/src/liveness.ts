/**
 * The ping and the two rules that tell a live peer from a gone one, checked at every
 * `WEBSOCKET_PING_INTERVAL`:
 *
 * - silent: a peer from which nothing came (no message, ping or pong) for two intervals gets a close
 *   frame with 1001;
 * - not reading: a peer that has taken none of the bytes waiting for it for two intervals gets 1013,
 *   whatever it sends meanwhile (a peer that sends, or answers pings, but never drains is caught
 *   here, and a view awaiting `send()` to it is released).
 *
 * One timer per interval serves every connection (a timer per socket is what an idle server would
 * mostly hold), so a connection's first tick may come early: it starts the count, and the rules need
 * two whole intervals after it.
 */
import { CloseCode } from './constants';

/** What the rules read and do on a connection: one shared object, so a connection carries no closures. */
export interface Probe<T> {
  /** Open, and its peer's messages are being read (the server has not paused reading). */
  listening(target: T): boolean;
  open(target: T): boolean;
  /** Bytes waiting for the peer. */
  bufferedAmount(target: T): number;
  /** Bytes the peer has taken so far, give or take a constant: only its growth is read. */
  taken(target: T): number;
  ping(target: T): void;
  /** Closes with `code`, logging one line that gives `why`. */
  closeFor(target: T, code: number, reason: string, why: string): void;
}

/** The connections pinged at one interval, and their timer. */
interface Sweep {
  readonly members: Set<Liveness<unknown>>;
  readonly timer: NodeJS.Timeout;
}

/** One connection's liveness state, ticked by the shared timer of its interval. */
export class Liveness<T> {
  static readonly #sweeps = new Map<number, Sweep>();

  readonly #target: T;
  readonly #probe: Probe<T>;
  readonly #interval: number;
  #heard = false;
  // -1: the first tick may come early, so it only starts the counts.
  #silentTicks = -1;
  #stalledTicks = -1;
  #takenAtLastTick = 0;

  private constructor(target: T, interval: number, probe: Probe<T>) {
    this.#target = target;
    this.#interval = interval;
    this.#probe = probe;
  }

  /** Starts pinging `target` every `interval` ms. */
  static start<T>(target: T, interval: number, probe: Probe<T>): Liveness<T> {
    const liveness = new Liveness(target, interval, probe);
    let sweep = Liveness.#sweeps.get(interval);
    if (sweep === undefined) {
      const members = new Set<Liveness<unknown>>();
      const timer = setInterval(() => {
        for (const member of members) member.#tick();
      }, interval);
      // Pings never keep the process alive by themselves.
      timer.unref();
      sweep = { members, timer };
      Liveness.#sweeps.set(interval, sweep);
    }
    sweep.members.add(liveness);
    return liveness;
  }

  /** Something came from the peer: it is not silent. */
  heard(): void {
    this.#heard = true;
  }

  /** The connection closed: no more ticks (the interval's timer goes with its last connection). */
  stop(): void {
    const sweep = Liveness.#sweeps.get(this.#interval);
    if (sweep === undefined || !sweep.members.delete(this) || sweep.members.size > 0) return;
    clearInterval(sweep.timer);
    Liveness.#sweeps.delete(this.#interval);
  }

  #tick(): void {
    const target = this.#target;
    const probe = this.#probe;
    if (!probe.open(target)) return;
    // While the server is not reading (the view is behind), a pong could not be heard: not the peer's fault.
    if (this.#heard || !probe.listening(target)) {
      this.#heard = false;
      this.#silentTicks = 0;
    } else if (++this.#silentTicks >= 2) {
      probe.closeFor(
        target,
        CloseCode.GOING_AWAY,
        'ping timeout',
        `peer silent for ${2 * this.#interval} ms`,
      );
      return;
    }
    const taken = probe.taken(target);
    const waiting = probe.bufferedAmount(target);
    if (waiting > 0 && taken <= this.#takenAtLastTick) {
      if (++this.#stalledTicks >= 2) {
        probe.closeFor(
          target,
          CloseCode.TRY_AGAIN_LATER,
          'peer not reading',
          `peer took none of the ${waiting} bytes waiting for it in ${2 * this.#interval} ms`,
        );
        return;
      }
    } else {
      this.#stalledTicks = 0;
    }
    this.#takenAtLastTick = taken;
    probe.ping(target);
  }
}
