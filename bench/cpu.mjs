import { once } from 'node:events';

/** Sends `question` to a benchmark server and resolves to its answer carrying `key` (servers/cpu-probe.mjs). */
export async function ask(child, question, key) {
  child.send(question);
  for (;;) {
    const [message] = await once(child, 'message');
    if (message && typeof message === 'object' && key in message) return message;
  }
}

/** The child's CPU time (user + system), in microseconds. */
export async function cpuMicros(child) {
  const { cpu } = await ask(child, 'cpu', 'cpu');
  return cpu.user + cpu.system;
}

/**
 * The child's memory after two full collections (start it with `--expose-gc`): `{ rss, heapUsed,
 * external, arrayBuffers }` in bytes, and `handles`, its count of active resources (sockets, timers).
 */
export async function memoryOf(child) {
  const { memory, handles } = await ask(child, 'memory', 'memory');
  return { ...memory, handles };
}
