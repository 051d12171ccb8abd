// HTTP/2 requests per second with h2load (Debian's nghttp2-client), bare node:http2 against Manouche
// over TLS (ALPN h2), in the same run; rounds alternate the servers' order.
// Writes bench/results/h2.json.
//   npm run build && node bench/h2.mjs [--duration 10] [--clients 10] [--streams 10] [--rounds 3]
// h2load: apt-get install -y nghttp2-client
import { execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSelfSignedCertificate } from '@manouche/core';
import { cpuMicros } from './cpu.mjs';
import { printTable, writeResults } from './lib/results.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    clients: { type: 'string', default: '10' },
    streams: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
});

try {
  execFileSync('h2load', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('h2load is missing: apt-get update && apt-get install -y nghttp2-client');
  process.exit(1);
}

const directory = mkdtempSync(join(tmpdir(), 'manouche-h2-bench-'));
const { cert, key } = createSelfSignedCertificate();
writeFileSync(join(directory, 'cert.pem'), cert);
writeFileSync(join(directory, 'key.pem'), key);

const SERVERS = [
  { name: 'node:http2 (bare)', script: 'h2-bare.mjs', env: {} },
  { name: 'manouche, no middleware', script: 'h2-manouche.mjs', env: { MIDDLEWARE_COUNT: '0' } },
  { name: 'manouche, 5 MIDDLEWARE', script: 'h2-manouche.mjs', env: { MIDDLEWARE_COUNT: '5' } },
];

/** Runs h2load for the duration (after a 1 s warm-up) and parses its "finished in ..., N req/s" line. */
async function load(url) {
  const child = spawn('h2load', [
    '-D',
    values.duration,
    '--warm-up-time',
    '1',
    '-c',
    values.clients,
    '-m',
    values.streams,
    '-t',
    '1',
    url,
  ]);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  await once(child, 'exit');
  const rate = /finished in [^,]+, ([\d.]+) req\/s/.exec(output);
  const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(output);
  if (rate === null || done === null) throw new Error(`could not read h2load's output:\n${output}`);
  return { rate: Number(rate[1]), succeeded: Number(done[2]), done: Number(done[1]) };
}

const samples = new Map(SERVERS.map((server) => [server.name, []]));
let port = 20000 + Math.floor(Math.random() * 10000);
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const server of round % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
      port += 1;
      const child = fork(fileURLToPath(new URL(`./servers/${server.script}`, import.meta.url)), {
        env: {
          ...process.env,
          ...server.env,
          PORT: String(port),
          CERT: join(directory, 'cert.pem'),
          KEY: join(directory, 'key.pem'),
        },
        stdio: 'inherit',
      });
      await once(child, 'message');
      const before = await cpuMicros(child);
      const result = await load(`https://127.0.0.1:${port}/`);
      const cpu = ((await cpuMicros(child)) - before) / result.done;
      child.kill();
      await once(child, 'exit');
      samples.get(server.name).push({ rate: result.rate, cpu });
      console.error(
        `${server.name}: ${Math.round(result.rate)} req/s (${result.succeeded}/${result.done} 2xx)`,
      );
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const bare = samples.get(SERVERS[0].name);
const table = {
  title: `h2load over TLS (ALPN h2), ${values.clients} connections x ${values.streams} concurrent streams, ${values.duration} s per server and round after 1 s of warm-up, median of ${values.rounds} round(s) run in alternating order`,
  columns: [
    { key: 'name', label: 'server' },
    { key: 'rate', label: 'requests/s' },
    { key: 'rateRatio', label: 'requests/s vs bare', digits: 2, suffix: 'x' },
    { key: 'cpu', label: 'server CPU per request (us)', digits: 1 },
    { key: 'cpuRatio', label: 'CPU efficiency vs bare', digits: 2, suffix: 'x' },
  ],
  rows: SERVERS.map((server) => {
    const runs = samples.get(server.name);
    return {
      name: server.name,
      rate: median(runs.map((run) => run.rate)),
      rateRatio: median(runs.map((run, round) => run.rate / bare[round].rate)),
      cpu: median(runs.map((run) => run.cpu)),
      cpuRatio: median(runs.map((run, round) => bare[round].cpu / run.cpu)),
    };
  }),
  chart: { x: 'cpuRatio', y: 'name', label: 'CPU efficiency vs bare node:http2 (higher is better)' },
};
printTable(table);
await writeResults('h2', {
  title: 'HTTP/2: GET / over TLS',
  order: 61,
  command: `node bench/h2.mjs --duration ${values.duration} --clients ${values.clients} --streams ${values.streams} --rounds ${values.rounds}`,
  notes: [
    'h2load (nghttp2) drives each server over TLS with ALPN h2. The bare peer is node:http2 answering "Hello, world" from its stream event; Manouche is app.listen({ tls, http2: true }) with a hello view, with no middleware and behind five pass-through MIDDLEWARE. Each server is a fresh child process; its CPU time comes from process.cpuUsage over the load.',
  ],
  tables: [table],
});
