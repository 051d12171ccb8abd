// Idle WebSocket memory: opens N connections to each server and keeps them idle, then reports what
// the server process holds per connection (RSS and V8 heap, measured after two full collections,
// before and after) against a bare ws server, in one run.
//   npm run build && node bench/ws-idle.mjs [--connections 10000] [--rounds 3]
// The connections are this process's sockets: raise `ulimit -n` above N + 1000 if it is lower (the
// script says so and stops). 10,000 fit the ephemeral port range (32768-60999) with room to spare.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { memoryOf } from './cpu.mjs';
import { printTable, writeResults } from './lib/results.mjs';
import { median } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    output: { type: 'string' },
  },
});
const total = Number(values.connections);
const openFiles = Number(
  /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity,
);
if (openFiles < total + 1000) {
  console.error(
    `ulimit -n is ${openFiles}: raise it above ${total + 1000} (ulimit -n 65536) or lower --connections`,
  );
  process.exit(1);
}
// Opening thousands at once would measure the accept queue; a few hundred in flight is plenty.
const OPENING_AT_ONCE = 250;

const SERVERS = [
  { name: 'ws (bare)', script: 'ws-bare.mjs' },
  { name: 'manouche acceptWebsocket view', script: 'ws-manouche.mjs' },
];

async function openIdle(url) {
  const sockets = [];
  let next = 0;
  const opener = async () => {
    while (next < total) {
      next += 1;
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.on('error', () => undefined);
      await once(socket, 'open');
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: OPENING_AT_ONCE }, opener));
  return sockets;
}

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(server, port) {
  const child = fork(fileURLToPath(new URL(`./servers/${server.script}`, import.meta.url)), {
    env: { ...process.env, PORT: String(port) },
    execArgv: ['--expose-gc'],
    stdio: 'inherit',
  });
  await once(child, 'message');
  // One connection opened and closed first, so what loads lazily on the first handshake (ws's
  // server, the URL conf's compiled patterns) is not counted per connection.
  const warm = new WebSocket(`ws://127.0.0.1:${port}/`);
  await once(warm, 'open');
  warm.close();
  await once(warm, 'close');
  await settle(500);
  const before = await memoryOf(child);
  const sockets = await openIdle(`ws://127.0.0.1:${port}/`);
  await settle(1000);
  const after = await memoryOf(child);
  for (const socket of sockets) socket.terminate();
  child.kill();
  await once(child, 'exit');
  return {
    rss: (after.rss - before.rss) / total,
    heap: (after.heapUsed - before.heapUsed) / total,
    handles: (after.handles - before.handles) / total,
  };
}

const only = values.only?.split(',');
const selected = only ? SERVERS.filter((server) => only.some((name) => server.name.includes(name))) : SERVERS;
const samples = new Map(selected.map((server) => [server.name, []]));
let port = 20000 + Math.floor(Math.random() * 10000);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const server of round % 2 === 0 ? selected : [...selected].reverse()) {
    port += 1;
    const result = await measure(server, port);
    samples.get(server.name).push(result);
    console.error(
      `${server.name}: ${(result.rss / 1024).toFixed(1)} KB RSS, ${(result.heap / 1024).toFixed(1)} KB heap per connection`,
    );
  }
}
const bare = samples.get(SERVERS[0].name);
const rows = selected.map((server) => {
  const runs = samples.get(server.name);
  return {
    name: server.name,
    rss: median(runs.map((run) => run.rss)) / 1024,
    ratio: bare ? median(runs.map((run, round) => run.rss / bare[round].rss)) : null,
    heap: median(runs.map((run) => run.heap)) / 1024,
    handles: median(runs.map((run) => run.handles)),
  };
});
const table = {
  title: `${total.toLocaleString('en-US')} idle connections per server, median of ${values.rounds} round(s)`,
  columns: [
    { key: 'name', label: 'server' },
    { key: 'rss', label: 'RSS per connection (KB)', digits: 1 },
    { key: 'ratio', label: 'vs bare ws', digits: 2, suffix: 'x' },
    { key: 'heap', label: 'V8 heap per connection (KB)', digits: 1 },
    { key: 'handles', label: 'handles per connection', digits: 2 },
  ],
  rows,
  chart: { x: 'rss', y: 'name', label: 'server RSS per idle WebSocket (KB, lower is better)' },
};
printTable(table);
await writeResults(
  'ws-idle',
  {
    title: 'WebSocket: idle memory',
    order: 40,
    command: `node bench/ws-idle.mjs --connections ${total} --rounds ${values.rounds}`,
    notes: [
      'The server, started with --expose-gc, reports its RSS and V8 heap after two full collections ' +
        'before and after the connections open; the difference is divided by their number. The Manouche ' +
        'server is the echo view behind five pass-through middleware and WebSocketMiddleware.',
    ],
    tables: [table],
  },
  values.output,
);
