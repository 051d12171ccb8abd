// Group delivery with one stalled member: H members that read everything and one raw client that
// completes the handshake and never reads again, then one publisher that awaits groupSend for each
// of N messages. Reports how long the publisher took, how many messages each healthy member got and
// when, whether the stalled member was closed, and the server's RSS (from /proc) at its peak.
//   npm run build && node bench/ws-group.mjs [--messages 5000] [--size 2048] [--healthy 10] [--layer memory|redis] [--limit 30]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stalledClient } from './stalled-client.mjs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    size: { type: 'string', default: '2048' },
    healthy: { type: 'string', default: '10' },
    layer: { type: 'string', default: 'memory' },
    // Seconds after which the run stops waiting (the code before the fix never finishes).
    limit: { type: 'string', default: '30' },
  },
});
const messages = Number(values.messages);
const port = 20000 + Math.floor(Math.random() * 10000);
const server = fork(fileURLToPath(new URL('./servers/ws-group.mjs', import.meta.url)), {
  env: { ...process.env, PORT: String(port), LAYER: values.layer },
  stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
});
const warnings = [];
server.stderr.on('data', (chunk) => warnings.push(...chunk.toString().trim().split('\n')));
await once(server, 'message');
const rssOf = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const mb = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`;

/** A raw client that reads the 101 and the welcome, then nothing more. */
const stalledMember = () => stalledClient(port, '/member/', 'joined');

const started = { at: 0 };
const members = await Promise.all(
  Array.from({ length: Number(values.healthy) }, async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/member/`);
    const member = { received: -1, doneAt: null, closed: null };
    socket.on('message', () => {
      member.received += 1;
      if (member.received === messages) member.doneAt = performance.now() - started.at;
    });
    socket.on('close', (code) => (member.closed = code));
    await once(socket, 'open');
    member.socket = socket;
    return member;
  }),
);
const stalled = await stalledMember();
const before = rssOf(server.pid);
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rssOf(server.pid))), 20);

const publisher = new WebSocket(`ws://127.0.0.1:${port}/publish/`);
await once(publisher, 'open');
started.at = performance.now();
publisher.send(`${messages} ${values.size}`);
const published = await Promise.race([
  once(publisher, 'message').then(([data]) => String(data)),
  new Promise((resolve) => setTimeout(() => resolve(null), Number(values.limit) * 1000)),
]);
const deadline = started.at + Number(values.limit) * 1000;
while (members.some((member) => member.doneAt === null) && performance.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
clearInterval(sampler);
const got = members.map((member) => member.received);
const slowest = Math.max(...members.map((member) => member.doneAt ?? Infinity));
console.log(
  `${values.layer} layer, ${messages} messages of ${values.size} bytes, ${values.healthy} healthy members + 1 stalled:\n` +
    `  publisher: ${published ? `${published.split(' ')[1]} ms for all ${messages} groupSend` : `not finished after ${values.limit} s`}\n` +
    `  healthy members: ${Math.min(...got)} to ${Math.max(...got)} messages each; all ${messages} by ` +
    `${Number.isFinite(slowest) ? `${slowest.toFixed(0)} ms` : `never (within ${values.limit} s)`}\n` +
    `  stalled member: ${warnings.filter((line) => line.includes('1013')).length ? 'closed with 1013' : 'still open'}` +
    ` (${warnings.length} log line(s))\n` +
    `  server RSS: ${mb(before)} before, ${mb(peak)} at peak`,
);
stalled.destroy();
for (const member of members) member.socket.terminate();
publisher.terminate();
server.kill();
await once(server, 'exit');
