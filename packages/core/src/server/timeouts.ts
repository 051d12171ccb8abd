import type { ResolvedSettings } from '../settings';

/**
 * How often Node looks for requests past their timeouts: a tenth of the shorter one, within
 * [10 ms, 1 s], so a timeout is enforced within 10% of its value instead of Node's 30 s rounds.
 */
export function checkingInterval(settings: ResolvedSettings): number {
  const timeouts = [settings.REQUEST_HEADERS_TIMEOUT, settings.REQUEST_TIMEOUT].filter((ms) => ms > 0);
  if (timeouts.length === 0) return 1000;
  return Math.min(1000, Math.max(10, Math.floor(Math.min(...timeouts) / 10)));
}
