// WebSocket echo benchmark: N clients, each sending a 1 KB message and waiting for its echo before
// sending the next, for D seconds; reports echoed messages per second and server CPU per message
// against a bare ws server, and against Django Channels under daphne when installed.
//   npm run build && node bench/ws-echo.mjs [--duration 5] [--clients 100] [--size 1024] [--rounds 3]
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { daphneServer, djangoSkipNote, djangoStart, djangoVersions } from './lib/django.mjs';
import { startServer } from './lib/processes.mjs';
import { printTable, writeResults } from './lib/results.mjs';
import { basePort, median } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    clients: { type: 'string', default: '100' },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '3' },
    output: { type: 'string' },
  },
});
const duration = Number(values.duration) * 1000;
const clients = Number(values.clients);
const payload = 'x'.repeat(Number(values.size));

async function load(url, server) {
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => {
      const socket = new WebSocket(url);
      return once(socket, 'open').then(() => socket);
    }),
  );
  let echoed = 0;
  let running = true;
  const cpuBefore = await server.cpu();
  for (const socket of sockets) {
    socket.on('message', () => {
      echoed += 1;
      if (running) socket.send(payload);
    });
    socket.send(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, duration));
  running = false;
  const cpu = ((await server.cpu()) - cpuBefore) / echoed;
  for (const socket of sockets) socket.terminate();
  return { rate: echoed / (duration / 1000), cpu };
}

const skip = djangoSkipNote();
const SERVERS = [
  { name: 'ws (bare)', server: { script: 'ws-bare.mjs' } },
  { name: 'ws (bare), for await over decoded text', server: { script: 'ws-bare-iterate.mjs' } },
  { name: 'manouche acceptWebsocket view', server: { script: 'ws-manouche.mjs' } },
  ...(skip ? [] : [{ name: 'django channels consumer, daphne', server: djangoStart(daphneServer) }]),
];
// Rounds interleave the servers; the median round is reported.
const samples = new Map(SERVERS.map((entry) => [entry.name, []]));
let port = basePort();
for (let round = 0; round < Number(values.rounds); round++) {
  // Every other round runs the servers in reverse order, so a drifting machine favours none.
  for (const entry of round % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
    port += 1;
    const server = await startServer(entry.server, port);
    try {
      const { rate, cpu } = await load(`ws://127.0.0.1:${port}/`, server);
      samples.get(entry.name).push({ rate, cpu });
      console.error(`${entry.name}: ${Math.round(rate)} messages/s, ${cpu.toFixed(1)} us CPU/message`);
    } finally {
      await server.stop();
    }
  }
}
const bare = samples.get(SERVERS[0].name);
// The ratio is the median of each round's ratio (both servers measured minutes apart at most).
const rows = SERVERS.map((entry) => {
  const runs = samples.get(entry.name);
  return {
    name: entry.name,
    cpu: median(runs.map((run) => run.cpu)),
    cpuRatio: median(runs.map((run, round) => bare[round].cpu / run.cpu)),
    rate: median(runs.map((run) => run.rate)),
    rateRatio: median(runs.map((run, round) => run.rate / bare[round].rate)),
  };
});
const table = {
  title:
    `Echo, ${clients} clients, ${values.size}-byte text messages, ${values.duration} s per server and round, ` +
    `median of ${values.rounds} round(s)`,
  columns: [
    { key: 'name', label: 'server' },
    { key: 'cpu', label: 'server CPU per message (us)', digits: 1 },
    { key: 'cpuRatio', label: 'CPU efficiency vs bare ws', digits: 2, suffix: 'x' },
    { key: 'rate', label: 'messages/s' },
    { key: 'rateRatio', label: 'messages/s vs bare ws', digits: 2, suffix: 'x' },
  ],
  rows,
  chart: { x: 'cpuRatio', y: 'name', label: 'CPU efficiency vs bare ws (higher is better)' },
};
printTable(table);
const versions = djangoVersions();
await writeResults(
  'ws-echo',
  {
    title: 'WebSocket: echo',
    order: 30,
    command: `node bench/ws-echo.mjs --duration ${values.duration} --rounds ${values.rounds}`,
    notes: [
      'Each client sends a message and waits for its echo before sending the next. The Manouche view ' +
        'runs behind five pass-through middleware and WebSocketMiddleware and echoes with ' +
        '`for await (const message of request.websocket) ws.send(message)`: each text message is ' +
        'decoded to a string and reaches the view through a promise, as dwebsocket hands out `str`. ' +
        'The row "ws (bare), for await over decoded text" is ws alone written the same way (a queue-backed ' +
        'async iterator over its message events, text decoded, the string sent back): the same work as ' +
        "the Manouche view without the framework, beside bare ws's Buffer handed straight back.",
      skip ??
        `The Channels peer is an AsyncWebsocketConsumer echoing under daphne ${versions.daphne} ` +
          `(Django ${versions.django}, Channels ${versions.channels}); its CPU is read from /proc, in 10 ms ticks.`,
    ],
    tables: [table],
  },
  values.output,
);
