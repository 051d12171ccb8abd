// WebSocket echo benchmark: N clients, each sending a 1 KB message and waiting for its echo before
// sending the next, for D seconds; reports echoed messages per second against a bare ws server.
//   npm run build && node bench/ws-echo.mjs [--duration 10] [--clients 100] [--size 1024] [--rounds 3]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { cpuMicros } from './cpu.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    clients: { type: 'string', default: '100' },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '1' },
  },
});
const duration = Number(values.duration) * 1000;
const clients = Number(values.clients);
const payload = 'x'.repeat(Number(values.size));

async function load(url, child) {
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => {
      const socket = new WebSocket(url);
      return once(socket, 'open').then(() => socket);
    }),
  );
  let echoed = 0;
  let running = true;
  const cpuBefore = await cpuMicros(child);
  for (const socket of sockets) {
    socket.on('message', () => {
      echoed += 1;
      if (running) socket.send(payload);
    });
    socket.send(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, duration));
  running = false;
  const cpu = ((await cpuMicros(child)) - cpuBefore) / echoed;
  for (const socket of sockets) socket.terminate();
  return { rate: echoed / (duration / 1000), cpu };
}

const SERVERS = [
  { name: 'ws (bare)', script: 'ws-bare.mjs' },
  { name: 'manouche acceptWebsocket view', script: 'ws-manouche.mjs' },
];
// Rounds interleave the servers; the median round is reported.
const samples = new Map(SERVERS.map((server) => [server.name, []]));
// A random base port below the ephemeral range (32768+) that the clients' own sockets use, so neither
// those nor a run started right after another can hold it.
let port = 20000 + Math.floor(Math.random() * 10000);
for (let round = 0; round < Number(values.rounds); round++) {
  // Every other round runs the servers in reverse order, so a drifting machine favours neither.
  for (const server of round % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
    port += 1;
    const child = fork(fileURLToPath(new URL(`./servers/${server.script}`, import.meta.url)), {
      env: { ...process.env, PORT: String(port) },
      stdio: 'inherit',
    });
    await once(child, 'message');
    const { rate, cpu } = await load(`ws://127.0.0.1:${port}/`, child);
    child.kill();
    await once(child, 'exit');
    samples.get(server.name).push({ rate, cpu });
    console.error(`${server.name}: ${Math.round(rate)} messages/s`);
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const bare = samples.get(SERVERS[0].name);
// The ratio is the median of each round's ratio (both servers measured minutes apart at most).
const results = SERVERS.map((server) => {
  const runs = samples.get(server.name);
  return {
    name: server.name,
    rate: median(runs.map((run) => run.rate)),
    ratio: median(runs.map((run, round) => run.rate / bare[round].rate)),
    cpu: median(runs.map((run) => run.cpu)),
    cpuRatio: median(runs.map((run, round) => bare[round].cpu / run.cpu)),
  };
});
console.log(
  `\nEcho, ${clients} clients, ${values.size}-byte text messages, ${values.duration} s each, ` +
    `median of ${values.rounds} round(s), Node ${process.version}\n`,
);
console.log('| server | messages/s | vs bare ws | server CPU per message (us) | CPU efficiency vs bare |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.name} | ${Math.round(r.rate)} | ${r.ratio.toFixed(2)}x | ${r.cpu.toFixed(1)} | ${r.cpuRatio.toFixed(2)}x |`,
  );
}
