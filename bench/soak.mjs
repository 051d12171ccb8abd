// Soak test: WebSocket connections opened and closed in waves for a while, with traffic, plus
// readers that never read; the server's heap, RSS and handles are sampled all along, and the figures
// are written to bench/results/soak.json. Not part of `npm test`.
//   npm run soak                                   # 5 minutes, waves of 10,000 connections
//   npm run soak -- --duration 30 --connections 2000 --slow 20
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { stalledClient } from './stalled-client.mjs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { ask, memoryOf } from './cpu.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    connections: { type: 'string', default: '10000' },
    // Of each wave, how many join the room (the rest echo): room traffic fans out to all of them.
    room: { type: 'string', default: '50' },
    messages: { type: 'string', default: '5' },
    slow: { type: 'string', default: '50' },
    sample: { type: 'string', default: '5' },
    output: { type: 'string', default: fileURLToPath(new URL('./results/soak.json', import.meta.url)) },
  },
});
const duration = Number(values.duration) * 1000;
const perWave = Number(values.connections);
const roomSize = Math.min(Number(values.room), perWave);
const messages = Number(values.messages);
const OPENING_AT_ONCE = 500;
const port = 20000 + Math.floor(Math.random() * 10000);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;

const server = fork(fileURLToPath(new URL('./servers/ws-soak.mjs', import.meta.url)), {
  env: { ...process.env, PORT: String(port) },
  execArgv: ['--expose-gc'],
  stdio: 'inherit',
});
await once(server, 'message');

const started = performance.now();
const samples = [];
async function sample(label) {
  const memory = await memoryOf(server);
  const { soak } = await ask(server, 'soak', 'soak');
  const entry = {
    seconds: Math.round((performance.now() - started) / 100) / 10,
    label,
    rssMB: mb(memory.rss),
    heapUsedMB: mb(memory.heapUsed),
    externalMB: mb(memory.external),
    handles: memory.handles,
    openWebSockets: soak.open,
    warnings: soak.warnings,
  };
  samples.push(entry);
  console.error(
    `${entry.seconds.toFixed(0).padStart(4)} s ${label.padEnd(12)} rss ${entry.rssMB} MB, heap ${entry.heapUsedMB} MB, ` +
      `${entry.handles} handles, ${entry.openWebSockets} open WebSockets`,
  );
  return entry;
}

/** A client of the wave, open (and welcomed in the room). */
async function trafficClient(path) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
  socket.on('error', () => undefined);
  // The room's welcome may come in the same packet as the 101: listen before the socket opens.
  const welcomed = path === '/room/' ? once(socket, 'message') : null;
  await once(socket, 'open');
  await welcomed;
  return socket;
}

/** A raw client that joins the room and never reads again: the server must cut it off. */
const slowReader = () => stalledClient(port, '/room/', 'joined');

const totals = { waves: 0, opened: 0, echoed: 0, roomMessages: 0, slowReaders: 0, failed: 0, closedEarly: 0 };
const payload = 'x'.repeat(512);
// Room messages are larger: each reaches every member, and a reader that never reads must overflow
// the kernel's buffers (a few MB) before the server's limits are reached.
const roomPayload = 'r'.repeat(16 * 1024);

async function wave() {
  const slow = await Promise.all(Array.from({ length: Number(values.slow) }, slowReader));
  totals.slowReaders += slow.length;
  const sockets = [];
  let next = 0;
  const opener = async () => {
    while (next < perWave) {
      const index = next++;
      try {
        sockets.push(await trafficClient(index < roomSize ? '/room/' : '/echo/'));
      } catch {
        totals.failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: OPENING_AT_ONCE }, opener));
  totals.opened += sockets.length;
  await sample(`wave ${totals.waves + 1} open`);
  // Traffic: every echo client sends and waits for each echo; room members say something each,
  // which reaches every member (and the slow readers, until they are cut off).
  await Promise.all(
    sockets.map(async (socket, index) => {
      for (let sent = 0; sent < messages; sent++) {
        if (socket.readyState !== WebSocket.OPEN) {
          totals.closedEarly += 1;
          return;
        }
        socket.send(`${index}:${sent}:${index < roomSize ? roomPayload : payload}`);
        if (index >= roomSize) {
          // The echo, unless the server closed the connection meanwhile (counted, and the wave goes on).
          const [event] = await Promise.race([
            once(socket, 'message').then(() => ['message']),
            once(socket, 'close').then(() => ['close']),
          ]);
          if (event === 'close') {
            totals.closedEarly += 1;
            return;
          }
          totals.echoed += 1;
        } else {
          totals.roomMessages += 1;
        }
      }
    }),
  );
  // Half leave politely, half just drop (as browsers and networks do).
  await Promise.all(
    sockets.map((socket, index) => {
      if (socket.readyState === WebSocket.CLOSED) return null;
      const closed = once(socket, 'close');
      if (index % 2 === 0) socket.close(1000);
      else socket.terminate();
      return closed;
    }),
  );
  for (const socket of slow) socket.destroy();
  totals.waves += 1;
}

const sampler = setInterval(() => void sample('periodic'), Number(values.sample) * 1000);
await sample('start');
while (performance.now() - started < duration) await wave();
clearInterval(sampler);
// Let the server finish closing what the last wave left (WEBSOCKET_CLOSE_TIMEOUT is 5 s).
await delay(6000);
const end = await sample('end');
const first = samples.find((entry) => entry.label === 'start');
const peak = samples.reduce((max, entry) => (entry.rssMB > max.rssMB ? entry : max), first);
const results = {
  date: new Date().toISOString(),
  node: process.version,
  options: {
    durationSeconds: Number(values.duration),
    connectionsPerWave: perWave,
    roomMembersPerWave: roomSize,
    messagesPerClient: messages,
    slowReadersPerWave: Number(values.slow),
  },
  totals: { ...totals, seconds: Math.round((performance.now() - started) / 1000) },
  server: {
    start: first,
    peakRss: peak,
    end,
    heapGrowthMB: Math.round((end.heapUsedMB - first.heapUsedMB) * 10) / 10,
    handlesLeft: end.handles - first.handles,
  },
  samples,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(values.output, `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `${totals.waves} waves, ${totals.opened} connections (${totals.failed} failed), ${totals.echoed} echoes, ` +
    `${totals.roomMessages} room messages, ${totals.slowReaders} slow readers in ${results.totals.seconds} s; ` +
    `${totals.closedEarly} clients found their connection closed by the server mid-wave\n` +
    `server: heap ${first.heapUsedMB} -> ${end.heapUsedMB} MB, RSS ${first.rssMB} -> ${end.rssMB} MB ` +
    `(peak ${peak.rssMB}), handles ${first.handles} -> ${end.handles}, open WebSockets at the end ${end.openWebSockets}, ` +
    `warnings: ${JSON.stringify(end.warnings)}\n` +
    `written to ${values.output}`,
);
server.kill();
await once(server, 'exit');
