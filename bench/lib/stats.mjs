// Order statistics for the benchmarks' rounds and latency samples.

/** The middle value (the upper one of the two middles for an even count); NaN for an empty list. */
export function median(list) {
  if (list.length === 0) return NaN;
  return [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
}

/** The nearest-rank percentile `p` (0-100) of `list`; NaN for an empty list. */
export function percentile(list, p) {
  if (list.length === 0) return NaN;
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A random base port below the ephemeral range (32768+) that the clients' own sockets use. */
export function basePort() {
  return 20000 + Math.floor(Math.random() * 10000);
}
