import { once } from 'node:events';

/** The child's CPU time (user + system), in microseconds, asked over IPC. */
export async function cpuMicros(child) {
  child.send('cpu');
  for (;;) {
    const [message] = await once(child, 'message');
    if (message && typeof message === 'object' && 'cpu' in message)
      return message.cpu.user + message.cpu.system;
  }
}
