// What every result file records about where it was measured: figures from another machine, another
// Node or another day are not comparable.
import { cpus, loadavg, totalmem } from 'node:os';

/** The machine, the Node version and the date, for a result file's header. */
export function machine() {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
    // The load when the results are written: a busy machine explains noisy figures.
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
  };
}
