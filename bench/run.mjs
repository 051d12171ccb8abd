// Side-by-side HTTP benchmark: each server runs alone in a child process (one core) while autocannon
// loads it from this process (the other core). Two suites:
//   equal: every framework bare and with five no-op hooks/middleware, GET / "Hello, world";
//   stack: Django's default middleware in Manouche, the plugin equivalents in Fastify, and Django
//          itself (gunicorn, daphne) when installed: hello, a session read, a CSRF-checked POST.
// Usage:
//   npm run build && node bench/run.mjs [--suite equal|stack] [--duration 5] [--warmup 1] [--connections 100]
//                                       [--rounds 3] [--only name,name] [--baseline DIR] [--output FILE]
// --baseline DIR: another built checkout of this repository (a git worktree of an older commit, say);
// each Manouche server also runs from DIR's build, as "(baseline)", in the same rounds: before and
// after measured side by side on the same machine, in the same minutes.
import autocannon from 'autocannon';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { daphneServer, djangoSkipNote, djangoStart, djangoVersions, gunicornServer } from './lib/django.mjs';
import { startServer } from './lib/processes.mjs';
import { printTable, writeResults } from './lib/results.mjs';
import { basePort, median } from './lib/stats.mjs';

// Node's own fetch (Node >= 18), for the few requests made by hand.
const { fetch } = globalThis;

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'equal' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '100' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    output: { type: 'string' },
  },
});

const BARE = { name: 'node:http (bare)', framework: 'node:http', server: { script: 'node-http.mjs' } };
const FIVE = { HOOKS: '5' };
const manouche = (env) => ({ script: 'manouche.mjs', env });

const EQUAL_WORK = [
  BARE,
  {
    name: 'node:http, 5 pass-through functions',
    framework: 'node:http',
    server: { script: 'node-http.mjs', env: FIVE },
  },
  { name: 'manouche, no middleware', framework: 'manouche', server: manouche({ MIDDLEWARE_COUNT: '0' }) },
  {
    name: 'manouche, 5 MIDDLEWARE',
    framework: 'manouche',
    server: manouche({ MIDDLEWARE_COUNT: '5', MODE: 'MIDDLEWARE' }),
  },
  {
    name: 'manouche, 5 MIDDLEWARE_CLASSES',
    framework: 'manouche',
    server: manouche({ MIDDLEWARE_COUNT: '5', MODE: 'MIDDLEWARE_CLASSES' }),
  },
  { name: 'fastify', framework: 'fastify', server: { script: 'fastify.mjs' } },
  {
    name: 'fastify, 5 onRequest hooks (done)',
    framework: 'fastify',
    server: { script: 'fastify.mjs', env: FIVE },
  },
  {
    name: 'fastify, 5 onRequest hooks (async)',
    framework: 'fastify',
    server: { script: 'fastify.mjs', env: { ...FIVE, HOOK_STYLE: 'async' } },
  },
  { name: 'koa', framework: 'koa', server: { script: 'koa.mjs' } },
  { name: 'koa, 5 middleware', framework: 'koa', server: { script: 'koa.mjs', env: FIVE } },
  { name: 'express', framework: 'express', server: { script: 'express.mjs' } },
  { name: 'express, 5 middleware', framework: 'express', server: { script: 'express.mjs', env: FIVE } },
];

// The realistic stack's requests. Those with `session` first call GET /login/ once, which starts a
// session and hands out a CSRF token, and then send its cookies (and the token) with every request.
const SCENARIOS = {
  hello: { label: 'GET / (hello)', path: '/' },
  session: { label: 'GET /session/ (session read)', path: '/session/', session: true },
  csrf: {
    label: 'POST /submit/ (CSRF checked)',
    path: '/submit/',
    session: true,
    method: 'POST',
    body: 'text=hello',
  },
};
const STACKS = [
  {
    name: 'manouche, Django default middleware',
    framework: 'manouche',
    server: { script: 'stack-manouche.mjs' },
  },
  { name: 'fastify, equivalent plugins', framework: 'fastify', server: { script: 'stack-fastify.mjs' } },
  {
    name: 'django 3.2, gunicorn (1 sync worker)',
    framework: 'django',
    server: djangoStart(gunicornServer),
    django: true,
  },
  { name: 'django 3.2, daphne', framework: 'django', server: djangoStart(daphneServer), django: true },
];

const notes = [];
const suite = values.suite;
let entries;
if (suite === 'equal') {
  entries = EQUAL_WORK.map((entry) => ({ ...entry, scenario: 'hello' }));
} else if (suite === 'stack') {
  const skip = djangoSkipNote();
  if (skip) notes.push(skip);
  const stacks = STACKS.filter((stack) => !(stack.django && skip));
  entries = [
    { ...BARE, scenario: 'hello' },
    ...Object.keys(SCENARIOS).flatMap((scenario) =>
      stacks.map((stack) => ({
        ...stack,
        name: `${stack.name}: ${SCENARIOS[scenario].label}`,
        label: stack.name,
        scenario,
      })),
    ),
  ];
} else {
  throw new Error(`--suite is equal or stack, not ${suite}`);
}

const only = values.only?.split(',');
const chosen = only ? entries.filter((entry) => only.some((name) => entry.name.includes(name))) : entries;
const selected = values.baseline
  ? chosen.flatMap((entry) =>
      entry.server.script?.includes('manouche')
        ? [
            entry,
            {
              ...entry,
              name: `${entry.name} (baseline)`,
              server: {
                ...entry.server,
                url: pathToFileURL(resolve(values.baseline, 'bench/servers', entry.server.script)),
              },
            },
          ]
        : [entry],
    )
  : chosen;

/** GET /login/ once: the cookies to send back and the CSRF token. */
async function logIn(origin) {
  const response = await fetch(`${origin}/login/`);
  if (!response.ok) throw new Error(`GET /login/ answered ${response.status}`);
  const { csrfToken } = await response.json();
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0])
    .join('; ');
  return { cookie, csrfToken };
}

/** The request autocannon repeats for `scenario`, checked once by hand: a refusal would void the run. */
async function requestFor(scenario, origin) {
  const request = { method: scenario.method ?? 'GET', path: scenario.path, headers: {} };
  if (scenario.session) {
    const { cookie, csrfToken } = await logIn(origin);
    request.headers.cookie = cookie;
    // Django's header and @fastify/csrf-protection's: each reads its own, as a page's script would send.
    request.headers['x-csrftoken'] = csrfToken;
    request.headers['x-csrf-token'] = csrfToken;
  }
  if (scenario.body) {
    request.body = scenario.body;
    request.headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const check = await fetch(`${origin}${request.path}`, request);
  const text = await check.text();
  if (check.status !== 200)
    throw new Error(`${request.method} ${request.path} answered ${check.status}: ${text}`);
  return request;
}

// Rounds interleave the servers so a slow spell of the machine doesn't land on one of them; the
// median round is reported.
const samples = new Map(selected.map((entry) => [entry.name, []]));
let port = basePort();
for (let round = 0; round < Number(values.rounds); round++) {
  // Every other round runs the servers in reverse order, so a drifting machine favours none.
  for (const entry of round % 2 === 0 ? selected : [...selected].reverse()) {
    port += 1;
    const server = await startServer(entry.server, port);
    try {
      const origin = `http://127.0.0.1:${port}`;
      const request = await requestFor(SCENARIOS[entry.scenario], origin);
      const { path, ...options } = request;
      const load = { url: `${origin}${path}`, ...options, connections: Number(values.connections) };
      // Unmeasured first: the JIT's compilations and the first connections' setup are not per request.
      await autocannon({ ...load, duration: Number(values.warmup) });
      const cpuBefore = await server.cpu();
      const result = await autocannon({ ...load, duration: Number(values.duration) });
      const cpu = ((await server.cpu()) - cpuBefore) / result.requests.total;
      samples.get(entry.name).push({
        cpu,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.non2xx,
      });
      if (result.errors + result.non2xx > 0) {
        console.error(
          `  ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ` +
            `${result.errors} errors (${result.timeouts} timeouts, ${result.resets} resets)`,
        );
      }
      console.error(
        `${entry.name}: ${Math.round(result.requests.average)} req/s, ${cpu.toFixed(1)} us CPU/request`,
      );
    } finally {
      await server.stop();
    }
  }
}

const bare = samples.get(selected.find((entry) => entry.name === BARE.name)?.name);
// Each figure is the median over rounds; a ratio is the median of each round's own ratio.
const rows = selected.map((entry) => {
  const runs = samples.get(entry.name);
  return {
    name: entry.label ?? entry.name,
    framework: entry.framework,
    scenario: entry.scenario,
    cpu: median(runs.map((run) => run.cpu)),
    cpuRatio: bare ? median(runs.map((run, round) => bare[round].cpu / run.cpu)) : null,
    rps: median(runs.map((run) => run.rps)),
    rpsRatio: bare ? median(runs.map((run, round) => run.rps / bare[round].rps)) : null,
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
});

const COLUMNS = [
  { key: 'name', label: 'server' },
  { key: 'cpu', label: 'server CPU per request (us)', digits: 1 },
  { key: 'cpuRatio', label: 'CPU efficiency vs bare node:http', digits: 2, suffix: 'x' },
  { key: 'rps', label: 'req/s' },
  { key: 'rpsRatio', label: 'req/s vs bare', digits: 2, suffix: 'x' },
  { key: 'p50', label: 'p50 (ms)', digits: 0 },
  { key: 'p99', label: 'p99 (ms)', digits: 0 },
  { key: 'errors', label: 'errors' },
];
const CHART = {
  x: 'cpuRatio',
  y: 'name',
  label: 'CPU efficiency vs bare node:http (bare CPU / this CPU, higher is better)',
};
const how =
  `${values.connections} connections, ${values.duration} s per server and round after ${values.warmup} s of warm-up, ` +
  `median of ${values.rounds} round(s) run in alternating order`;
if (suite === 'stack') {
  const versions = djangoVersions();
  if (!versions.missing) {
    notes.push(
      `Django ${versions.django} (Debian's packages; gunicorn ${versions.gunicorn}, daphne ${versions.daphne}, ` +
        `Channels ${versions.channels}). gunicorn runs one sync worker, to compare with one Node process; ` +
        'a sync worker closes the connection after every response, so its clients reconnect each time, ' +
        'as they would against that deployment; autocannon, which keeps connections alive, finds some of ' +
        "them reset (ECONNRESET): those are gunicorn's errors. Its CPU is read from /proc (10 ms ticks) over the " +
        'master and its worker.',
    );
  }
}
const tables =
  suite === 'equal'
    ? [{ title: `GET / "Hello, world", ${how}`, columns: COLUMNS, rows, chart: CHART }]
    : Object.entries(SCENARIOS)
        .map(([key, scenario]) => ({
          title: `${scenario.label}, ${how}`,
          columns: COLUMNS,
          rows: rows.filter((row) => row.scenario === key),
          chart: { x: 'cpu', y: 'name', label: 'server CPU per request (us, lower is better)' },
        }))
        .filter((table) => table.rows.length > 0);
for (const table of tables) printTable(table);
await writeResults(
  suite === 'equal' ? 'http-equal-work' : 'http-realistic-stack',
  {
    title: suite === 'equal' ? 'HTTP: equal work' : 'HTTP: a realistic stack',
    order: suite === 'equal' ? 10 : 20,
    command: `node bench/run.mjs --suite ${suite} --duration ${values.duration} --rounds ${values.rounds}`,
    notes: [
      suite === 'equal'
        ? 'Every framework bare and with five no-op hooks or middleware: Manouche five MIDDLEWARE ' +
          'pass-through classes or five MIDDLEWARE_CLASSES, Fastify five onRequest hooks (callback and ' +
          'async), Koa five `await next()` middleware, Express five `next()` middleware, node:http five ' +
          'hand-written pass-through functions.'
        : "Manouche with Django's default middleware in Django's order (Security, Session, Common, Csrf, " +
          'Authentication, Message, XFrameOptions); Fastify with @fastify/helmet, @fastify/cookie, ' +
          '@fastify/session, @fastify/formbody and @fastify/csrf-protection checking every unsafe method; ' +
          'Django with the same default middleware and sessions in local memory. The session read and ' +
          "the POST carry the cookies and CSRF token one GET /login/ handed out before the load. The ratios' " +
          'reference is bare node:http answering GET / in the same rounds.',
      ...notes,
    ],
    tables,
  },
  values.output,
);
