// Scaling out on Redis (127.0.0.1:6379): two application processes with --sockets WebSockets each
// in one group.
//  1. fan-out: one process sends the group a message (over HTTP, --rounds times); reported is the
//     time from the request until the last of the 2 x --sockets clients has it;
//  2. loss across CLIENT KILL: --burst numbered messages to a group of --members clients per
//     process; while they flow, the stream-reading connections of both processes are killed
//     (CLIENT KILL); reported is how many messages each client missed, and whether order held.
//   npm run build && node bench/scale-out.mjs [--sockets 5000] [--rounds 5] [--members 50] [--burst 5000]
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    members: { type: 'string', default: '50' },
    burst: { type: 'string', default: '5000' },
  },
});
/** GET `url`; resolves once the whole answer is in. */
function fetchText(url) {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      response.resume();
      response.on('end', resolve);
    }).on('error', reject);
  });
}

const prefix = `bench-scale-${randomUUID()}`;
const admin = new Redis('redis://127.0.0.1:6379');

const nodes = await Promise.all(
  [0, 1].map(async (index) => {
    const port = 20000 + Math.floor(Math.random() * 10000) + index;
    const child = fork(fileURLToPath(new URL('./servers/scale-node.mjs', import.meta.url)), {
      env: { ...process.env, PORT: String(port), PREFIX: prefix },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const warnings = [];
    child.stderr.on('data', (chunk) => warnings.push(...chunk.toString().trim().split('\n')));
    await once(child, 'message');
    return { port, child, warnings };
  }),
);

/** Opens `count` clients to /member/<group>/ on `port`, 200 at a time; each counts what it gets. */
async function openClients(port, group, count, onMessage) {
  const clients = [];
  for (let start = 0; start < count; start += 200) {
    const batch = Array.from({ length: Math.min(200, count - start) }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/member/${group}/`, { perMessageDeflate: false });
      const client = { socket, received: [] };
      await new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.once('message', () => resolve()); // "joined"
      });
      socket.on('message', (data) => onMessage(client, data.toString()));
      return client;
    });
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

// 1. Fan-out ------------------------------------------------------------------------------------
const sockets = Number(values.sockets);
let round = null;
const fanOnMessage = (_client, text) => {
  if (round === null || !text.startsWith('fan ')) return;
  round.got += 1;
  if (round.got === round.expected) round.done(performance.now() - round.started);
};
const opened = performance.now();
const fanClients = [
  ...(await openClients(nodes[0].port, 'fan', sockets, fanOnMessage)),
  ...(await openClients(nodes[1].port, 'fan', sockets, fanOnMessage)),
];
console.log(`${fanClients.length} sockets joined in ${((performance.now() - opened) / 1000).toFixed(1)} s`);
const times = [];
for (let index = 0; index < Number(values.rounds); index++) {
  const finished = new Promise((resolve) => {
    round = { got: 0, expected: fanClients.length, started: performance.now(), done: resolve };
  });
  await fetchText(`http://127.0.0.1:${nodes[index % 2].port}/send/fan/`);
  times.push(await finished);
  round = null;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `fan-out to 2 x ${sockets} sockets, until the last has it: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms ` +
    `(median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms)`,
);
for (const client of fanClients) client.socket.terminate();

// 2. Loss across CLIENT KILL ---------------------------------------------------------------------
const burst = Number(values.burst);
const lossClients = [
  ...(await openClients(nodes[0].port, 'loss', Number(values.members), (client, text) =>
    client.received.push(text),
  )),
  ...(await openClients(nodes[1].port, 'loss', Number(values.members), (client, text) =>
    client.received.push(text),
  )),
];
const sending = fetchText(`http://127.0.0.1:${nodes[0].port}/burst/loss/${burst}/`);
const watched = lossClients.at(-1);
while (watched.received.length < burst / 10) await new Promise((resolve) => setTimeout(resolve, 1));
const list = await admin.client('LIST');
const readers = list
  .split('\n')
  .filter((line) => line.includes(` name=${prefix}:reader:`))
  .map((line) => /(?:^|\s)id=(\d+)/.exec(line)[1]);
for (const id of readers) await admin.client('KILL', 'ID', id);
const killedAt = watched.received.length;
await sending;
const deadline = Date.now() + 30_000;
while (lossClients.some((client) => client.received.length < burst) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const expected = Array.from({ length: burst }, (_, index) => String(index));
const missed = lossClients.map((client) => burst - new Set(client.received).size);
const inOrder = lossClients.every((client) =>
  client.received.every((text, index) => text === expected[index]),
);
console.log(
  `CLIENT KILL of ${readers.length} readers after ${killedAt} of ${burst} messages, ${lossClients.length} members: ` +
    `missed ${missed.reduce((a, b) => a + b, 0)} messages in all (most by one member: ${Math.max(...missed)}), ` +
    `order kept: ${inOrder}`,
);
const lines = nodes.flatMap((node) => node.warnings).filter((line) => line.includes('trimmed'));
console.log(`gap warnings: ${lines.length}`);

for (const client of lossClients) client.socket.terminate();
await Promise.all(
  nodes.map(async (node) => {
    node.child.send('stop');
    await once(node.child, 'exit');
  }),
);
const keys = await admin.keys(`${prefix}:*`);
if (keys.length > 0) await admin.del(...keys);
admin.disconnect();
