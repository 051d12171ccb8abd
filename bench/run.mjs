// Side-by-side HTTP benchmark: each server runs alone in a child process (one core) while autocannon
// loads it from this process (the other core). Usage:
//   npm run build && node bench/run.mjs [--duration 10] [--connections 100] [--rounds 3] [--only name,name]
//                                       [--baseline DIR]
// --baseline DIR: another built checkout of this repository (a git worktree of an older commit, say);
// each Manouche server also runs from DIR's build, as "(baseline)", in the same rounds: before and
// after measured side by side on the same machine, in the same minutes.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMicros } from './cpu.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    baseline: { type: 'string' },
  },
});

const SERVERS = [
  { name: 'node:http (bare)', script: 'node-http.mjs' },
  { name: 'manouche, no middleware', script: 'manouche.mjs', env: { MIDDLEWARE_COUNT: '0' } },
  {
    name: 'manouche, 5 MIDDLEWARE',
    script: 'manouche.mjs',
    env: { MIDDLEWARE_COUNT: '5', MODE: 'MIDDLEWARE' },
  },
  {
    name: 'manouche, 5 MIDDLEWARE_CLASSES',
    script: 'manouche.mjs',
    env: { MIDDLEWARE_COUNT: '5', MODE: 'MIDDLEWARE_CLASSES' },
  },
  { name: 'fastify', script: 'fastify.mjs' },
  { name: 'koa', script: 'koa.mjs' },
  { name: 'express', script: 'express.mjs' },
];

const only = values.only?.split(',');
const chosen = only ? SERVERS.filter((server) => only.some((name) => server.name.includes(name))) : SERVERS;
const selected = values.baseline
  ? chosen.flatMap((server) =>
      server.script === 'manouche.mjs'
        ? [
            server,
            {
              ...server,
              name: `${server.name} (baseline)`,
              url: pathToFileURL(resolve(values.baseline, 'bench/servers', server.script)),
            },
          ]
        : [server],
    )
  : chosen;
// Rounds interleave the servers so a slow spell of the machine doesn't land on one of them; the
// median round is reported.
const samples = new Map(selected.map((server) => [server.name, []]));
// A random base port below the ephemeral range (32768+) that the clients' own sockets use, so neither
// those nor a run started right after another can hold it.
let port = 20000 + Math.floor(Math.random() * 10000);
for (let round = 0; round < Number(values.rounds); round++) {
  // Every other round runs the servers in reverse order, so a drifting machine favours none.
  for (const server of round % 2 === 0 ? selected : [...selected].reverse()) {
    port += 1;
    const child = fork(fileURLToPath(server.url ?? new URL(`./servers/${server.script}`, import.meta.url)), {
      env: { ...process.env, ...server.env, PORT: String(port) },
      stdio: 'inherit',
    });
    await once(child, 'message');
    const cpuBefore = await cpuMicros(child);
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/`,
      connections: Number(values.connections),
      duration: Number(values.duration),
    });
    const cpu = ((await cpuMicros(child)) - cpuBefore) / result.requests.total;
    child.kill();
    await once(child, 'exit');
    samples.get(server.name).push({
      cpu,
      rps: result.requests.average,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
    });
    console.error(`${server.name}: ${Math.round(result.requests.average)} req/s`);
  }
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const bare = samples.get(selected.find((server) => server.name.startsWith('node:http'))?.name);
// Each figure is the median over rounds; the ratio is the median of each round's own ratio.
const results = selected.map((server) => {
  const runs = samples.get(server.name);
  return {
    name: server.name,
    rps: median(runs.map((run) => run.rps)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    ratio: bare ? median(runs.map((run, round) => run.rps / bare[round].rps)) : null,
    cpu: median(runs.map((run) => run.cpu)),
    cpuRatio: bare ? median(runs.map((run, round) => bare[round].cpu / run.cpu)) : null,
  };
});
console.log(
  `\nGET / "Hello, world", ${values.connections} connections, ${values.duration} s each, ` +
    `median of ${values.rounds} round(s), Node ${process.version}\n`,
);
console.log(
  '| server | req/s | vs bare node:http | server CPU per request (us) | CPU efficiency vs bare | p99 latency (ms) | errors |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const ratio = r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`;
  const cpuRatio = r.cpuRatio === null ? '-' : `${r.cpuRatio.toFixed(2)}x`;
  console.log(
    `| ${r.name} | ${Math.round(r.rps)} | ${ratio} | ${r.cpu.toFixed(1)} | ${cpuRatio} | ${r.p99} | ${r.errors} |`,
  );
}
