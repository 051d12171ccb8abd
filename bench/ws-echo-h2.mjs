// WebSocket echo over HTTP/2 (RFC 8441 extended CONNECT) against the same over HTTP/1.1 upgrades,
// both over TLS to the same Manouche server (servers/h2-manouche.mjs: app.listen({ tls, http2: true }),
// an acceptWebsocket echo view behind WebSocketMiddleware). N clients each send a message and wait
// for its echo before sending the next, for D seconds; rounds alternate the transports' order.
// Writes bench/results/ws-echo-h2.json.
//   npm run build && node bench/ws-echo-h2.mjs [--duration 10] [--clients 100] [--size 1024] [--rounds 3]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { createSelfSignedCertificate } from '@manouche/core';
import { openHttp2Session, openHttp2WebSocket } from '@manouche/testing';
import { cpuMicros } from './cpu.mjs';
import { printTable, writeResults } from './lib/results.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    clients: { type: 'string', default: '100' },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '3' },
  },
});
const duration = Number(values.duration) * 1000;
const clients = Number(values.clients);
const payload = 'x'.repeat(Number(values.size));

/** Each transport opens `clients` WebSockets and returns them with what to close afterwards. */
const TRANSPORTS = [
  {
    name: 'HTTP/1.1 upgrade (wss, one TCP+TLS connection each)',
    async open(port) {
      const sockets = await Promise.all(
        Array.from({ length: clients }, () => {
          const socket = new WebSocket(`wss://127.0.0.1:${port}/ws/`, { rejectUnauthorized: false });
          return once(socket, 'open').then(() => socket);
        }),
      );
      return { sockets, sessions: [] };
    },
  },
  {
    name: 'HTTP/2 extended CONNECT (one connection each)',
    async open(port) {
      const opened = await Promise.all(
        Array.from({ length: clients }, () => openHttp2WebSocket(`wss://127.0.0.1:${port}/ws/`)),
      );
      return { sockets: opened.map((each) => each.socket), sessions: opened.map((each) => each.session) };
    },
  },
  {
    name: 'HTTP/2 extended CONNECT (all on one connection)',
    async open(port) {
      const session = await openHttp2Session(`https://127.0.0.1:${port}`);
      const opened = await Promise.all(
        Array.from({ length: clients }, () => openHttp2WebSocket(`wss://127.0.0.1:${port}/ws/`, {}, session)),
      );
      return { sockets: opened.map((each) => each.socket), sessions: [session] };
    },
  },
];

async function load(transport, port, child) {
  const { sockets, sessions } = await transport.open(port);
  if (sockets.some((socket) => socket === null))
    throw new Error(`${transport.name}: a handshake was refused`);
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
  for (const session of sessions) session.destroy();
  return { rate: echoed / (duration / 1000), cpu };
}

const directory = mkdtempSync(join(tmpdir(), 'manouche-ws-h2-bench-'));
const { cert, key } = createSelfSignedCertificate();
writeFileSync(join(directory, 'cert.pem'), cert);
writeFileSync(join(directory, 'key.pem'), key);
const samples = new Map(TRANSPORTS.map((transport) => [transport.name, []]));
let port = 20000 + Math.floor(Math.random() * 10000);
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const transport of round % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse()) {
      port += 1;
      // A fresh server for each measurement, so no transport inherits another's warm-up or leftovers.
      const child = fork(fileURLToPath(new URL('./servers/h2-manouche.mjs', import.meta.url)), {
        env: {
          ...process.env,
          PORT: String(port),
          CERT: join(directory, 'cert.pem'),
          KEY: join(directory, 'key.pem'),
        },
        stdio: 'inherit',
      });
      await once(child, 'message');
      const { rate, cpu } = await load(transport, port, child);
      child.kill();
      await once(child, 'exit');
      samples.get(transport.name).push({ rate, cpu });
      console.error(`${transport.name}: ${Math.round(rate)} messages/s`);
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const base = samples.get(TRANSPORTS[0].name);
const table = {
  title: `Echo over TLS, ${clients} clients, ${values.size}-byte text messages, ${values.duration} s per transport and round, median of ${values.rounds} round(s) run in alternating order`,
  columns: [
    { key: 'name', label: 'transport' },
    { key: 'rate', label: 'messages/s' },
    { key: 'rateRatio', label: 'messages/s vs HTTP/1.1', digits: 2, suffix: 'x' },
    { key: 'cpu', label: 'server CPU per message (us)', digits: 1 },
  ],
  rows: TRANSPORTS.map((transport) => {
    const runs = samples.get(transport.name);
    return {
      name: transport.name,
      rate: median(runs.map((run) => run.rate)),
      rateRatio: median(runs.map((run, round) => run.rate / base[round].rate)),
      cpu: median(runs.map((run) => run.cpu)),
    };
  }),
  chart: { x: 'cpu', y: 'name', label: 'server CPU per message, us (lower is better)' },
};
printTable(table);
await writeResults('ws-echo-h2', {
  title: 'WebSocket over HTTP/2 (RFC 8441): echo',
  order: 62,
  command: `node bench/ws-echo-h2.mjs --duration ${values.duration} --clients ${clients} --size ${values.size} --rounds ${values.rounds}`,
  notes: [
    'One Manouche server (app.listen({ tls, http2: true }), an acceptWebsocket echo view behind WebSocketMiddleware) reached three ways: HTTP/1.1 upgrades over TLS, one HTTP/2 connection per WebSocket (extended CONNECT), and every WebSocket as a stream of a single HTTP/2 connection. Each client sends a message and waits for its echo before sending the next. A fresh server per measurement.',
  ],
  tables: [table],
});
