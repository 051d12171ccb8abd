// The whole benchmark, one script after another (each alone on the machine), then bench/RESULTS.md:
//   npm run bench [-- --quick] [-- --only run-equal,ws-idle]
// Defaults take about 17 minutes on a 2-core machine; --quick (a smoke run: 1 s per server, one
// round, 2,000 WebSockets) about 2, and writes to bench/results-quick/ instead. Each script writes bench/results/<name>.json; a script that fails
// is reported and the others still run, the report then keeping that script's previous file.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const STEPS = [
  {
    name: 'run-equal',
    script: 'run.mjs',
    args: ['--suite', 'equal'],
    quick: ['--duration', '1', '--rounds', '1'],
  },
  {
    name: 'run-stack',
    script: 'run.mjs',
    args: ['--suite', 'stack'],
    quick: ['--duration', '1', '--rounds', '1'],
  },
  { name: 'ws-echo', script: 'ws-echo.mjs', args: [], quick: ['--duration', '1', '--rounds', '1'] },
  { name: 'ws-idle', script: 'ws-idle.mjs', args: [], quick: ['--connections', '2000', '--rounds', '1'] },
  { name: 'ws-fanout', script: 'ws-fanout.mjs', args: [], quick: ['--members', '2000', '--repeat', '5'] },
  {
    name: 'push-transports',
    script: 'push-transports.mjs',
    args: [],
    quick: ['--clients', '20', '--duration', '3'],
  },
  { name: 'h2', script: 'h2.mjs', args: [], quick: ['--duration', '1', '--rounds', '1'] },
  { name: 'ws-echo-h2', script: 'ws-echo-h2.mjs', args: [], quick: ['--duration', '1', '--rounds', '1'] },
  { name: 'report', script: 'report.mjs', args: [], quick: [] },
];

const only = values.only?.split(',');
// A smoke run's figures mean little: they go to bench/results-quick/ (ignored by git), not results/.
const env = values.quick
  ? { ...process.env, BENCH_RESULTS_DIR: fileURLToPath(new URL('results-quick/', import.meta.url)) }
  : process.env;
const failed = [];
for (const step of STEPS) {
  if (only && step.name !== 'report' && !only.includes(step.name)) continue;
  const args = [...step.args, ...(values.quick ? step.quick : [])];
  console.error(`\n== ${step.name}: node bench/${step.script} ${args.join(' ')}`);
  const started = Date.now();
  const { status } = spawnSync(
    process.execPath,
    [fileURLToPath(new URL(step.script, import.meta.url)), ...args],
    { stdio: 'inherit', env },
  );
  console.error(
    `== ${step.name}: ${status === 0 ? 'done' : `FAILED (${status})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (status !== 0) failed.push(step.name);
}
if (failed.length > 0) {
  console.error(`\nFailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
