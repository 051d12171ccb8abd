// Fan-out: one message to a group of N local WebSockets, timed from the publisher's send until the
// last member has it (the median of --repeat sends), Manouche's groupSend (in-memory layer) against
// a bare ws loop over the same number of sockets; then, unless --no-redis, the same group split over
// two Manouche processes sharing a RedisChannelLayer (N/2 members on each, the publisher on the first).
//   npm run build && node bench/ws-fanout.mjs [--members 10000] [--repeat 20] [--size 100] [--rounds 1]
// The members are this process's sockets: raise `ulimit -n` above N + 1000 if it is lower.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startServer } from './lib/processes.mjs';
import { printTable, writeResults } from './lib/results.mjs';
import { basePort, median, percentile } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '10000' },
    repeat: { type: 'string', default: '20' },
    size: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '1' },
    'no-redis': { type: 'boolean', default: false },
    output: { type: 'string' },
  },
});
const total = Number(values.members);
const repeat = Number(values.repeat);
const OPENING_AT_ONCE = 250;

const openFiles = Number(
  /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity,
);
if (openFiles < total + 1000) {
  console.error(
    `ulimit -n is ${openFiles}: raise it above ${total + 1000} (ulimit -n 65536) or lower --members`,
  );
  process.exit(1);
}

/** Opens `count` members on `port`, each resolved once the server said "joined" (it is in the group). */
async function openMembers(port, count, onMessage) {
  const sockets = [];
  let next = 0;
  const opener = async () => {
    while (next < count) {
      next += 1;
      const socket = new WebSocket(`ws://127.0.0.1:${port}/member/`, { perMessageDeflate: false });
      socket.on('error', () => undefined);
      await once(socket, 'message');
      socket.on('message', onMessage);
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: OPENING_AT_ONCE }, opener));
  return sockets;
}

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the servers of `setup`, fans `repeat` messages out, and returns the times in ms. */
async function measure(setup, firstPort) {
  const servers = [];
  const sockets = [];
  try {
    for (const [index, description] of setup.servers.entries()) {
      servers.push(await startServer(description, firstPort + index));
    }
    let received = 0;
    let done = null;
    const onMessage = () => {
      received += 1;
      if (received === total) done?.(performance.now());
    };
    const share = total / servers.length;
    for (const index of servers.keys())
      sockets.push(...(await openMembers(firstPort + index, share, onMessage)));
    const publisher = new WebSocket(`ws://127.0.0.1:${firstPort}/publish/`);
    await once(publisher, 'open');
    sockets.push(publisher);
    await settle(500);
    const last = [];
    const sent = [];
    const cpuBefore = await servers[0].cpu();
    for (let index = 0; index < repeat; index++) {
      received = 0;
      const arrived = new Promise((resolve) => (done = resolve));
      const published = once(publisher, 'message');
      const started = performance.now();
      publisher.send(`1 ${values.size}`);
      last.push((await arrived) - started);
      sent.push(Number(String((await published)[0]).split(' ')[1]));
      // Lets the sockets' buffers drain and the collector run between sends, as a room's pace would.
      await settle(100);
    }
    const cpu = ((await servers[0].cpu()) - cpuBefore) / repeat / 1000;
    return { last, sent, cpu };
  } finally {
    for (const socket of sockets) socket.terminate();
    for (const server of servers) await server.stop();
  }
}

const SETUPS = [
  { name: 'ws (bare), a loop over the sockets', servers: [{ script: 'ws-fanout-bare.mjs' }] },
  { name: 'manouche groupSend, in-memory layer', servers: [{ script: 'ws-group.mjs' }] },
];
if (!values['no-redis']) {
  const redis = { script: 'ws-group.mjs', env: { LAYER: 'redis', PREFIX: `bench-fanout-${process.pid}` } };
  SETUPS.push({ name: 'manouche groupSend, Redis layer, 2 processes', servers: [redis, redis] });
}
const samples = new Map(SETUPS.map((setup) => [setup.name, []]));
let port = basePort();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const setup of round % 2 === 0 ? SETUPS : [...SETUPS].reverse()) {
    port += 2;
    const result = await measure(setup, port);
    samples.get(setup.name).push(result);
    console.error(
      `${setup.name}: last member after ${median(result.last).toFixed(1)} ms (median of ${repeat}), ` +
        `publisher's loop ${median(result.sent)} ms`,
    );
  }
}
const bareLast = samples.get(SETUPS[0].name).map((run) => median(run.last));
const rows = SETUPS.map((setup) => {
  const runs = samples.get(setup.name);
  return {
    name: setup.name,
    last: median(runs.map((run) => median(run.last))),
    lastP90: median(runs.map((run) => percentile(run.last, 90))),
    ratio: median(runs.map((run, round) => median(run.last) / bareLast[round])),
    sent: median(runs.map((run) => median(run.sent))),
    cpu: median(runs.map((run) => run.cpu)),
  };
});
const table = {
  title:
    `One ${values.size}-byte message to ${total.toLocaleString('en-US')} WebSockets, ` +
    `median of ${repeat} sends, ${values.rounds} round(s)`,
  columns: [
    { key: 'name', label: 'server' },
    { key: 'last', label: 'until the last member has it (ms)', digits: 1 },
    { key: 'ratio', label: 'vs bare ws loop', digits: 2, suffix: 'x' },
    { key: 'lastP90', label: 'p90 of the sends (ms)', digits: 1 },
    { key: 'sent', label: "server's send loop (ms)", digits: 0 },
    { key: 'cpu', label: 'publishing server CPU per send (ms)', digits: 1 },
  ],
  rows,
  chart: {
    x: 'last',
    y: 'name',
    label: 'ms until the last of the members has the message (lower is better)',
  },
};
printTable(table);
await writeResults(
  'ws-fanout',
  {
    title: 'WebSocket: fan-out to a group',
    order: 50,
    command: `node bench/ws-fanout.mjs --members ${total} --repeat ${repeat} --rounds ${values.rounds}`,
    notes: [
      'The members are WebSockets of the harness process, which counts their messages: the time runs ' +
        "from the publisher's send to the last member's message event, so it includes the harness's own " +
        "reading of every message (the same for every server). The server's send loop is what the " +
        'publishing server measured itself: the bare loop over its sockets, or the awaited groupSend ' +
        '(in-memory: handed to every member; Redis: published, the other process delivering its half).',
    ],
    tables: [table],
  },
  values.output,
);
