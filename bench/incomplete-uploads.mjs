// Memory held by uploads that never finish: CLIENTS connections each send all but the last 100 KB of
// an upload, then stall. The server (a child process, samples taken after a forced GC) reports what
// it holds once everything arrived, then until REQUEST_TIMEOUT has cut every connection. Usage:
//   npm run build && node bench/incomplete-uploads.mjs [--clients 200] [--timeout 5000]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { clients: { type: 'string', default: '200' }, timeout: { type: 'string', default: '5000' } },
});
const clients = Number(values.clients);
const timeout = Number(values.timeout);
const UNSENT = 100_000;
const boundary = 'bench-boundary';
const partHead = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n`;
const partTail = `\r\n--${boundary}--\r\n`;

const SCENARIOS = [
  { name: '2.5 MB application/octet-stream', host: '127.0.0.1', size: 2_500_000, multipart: false },
  { name: '5 MB multipart/form-data file', host: '127.0.0.1', size: 5_000_000, multipart: true },
  {
    name: '2.5 MB for a host outside ALLOWED_HOSTS',
    host: 'evil.example',
    size: 2_500_000,
    multipart: false,
  },
];

const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function memory(child) {
  child.send('memory');
  const [reply] = await once(child, 'message');
  return reply;
}

/** Connects and sends the head (and a multipart part's head); resolves once the head is written. */
function startUpload(port, scenario) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      const type = scenario.multipart
        ? `multipart/form-data; boundary=${boundary}`
        : 'application/octet-stream';
      const length = scenario.size + (scenario.multipart ? partHead.length + partTail.length : 0);
      const head = `POST /upload/ HTTP/1.1\r\nHost: ${scenario.host}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;
      socket.write(scenario.multipart ? head + partHead : head, () => resolve(socket));
    });
  });
}

const port = 30000 + Math.floor(Math.random() * 2000);
const rows = [];
for (const [index, scenario] of SCENARIOS.entries()) {
  const child = fork(fileURLToPath(new URL('./servers/uploads.mjs', import.meta.url)), {
    env: { ...process.env, PORT: String(port + index), REQUEST_TIMEOUT: String(timeout) },
    execArgv: ['--expose-gc'],
    stdio: 'inherit',
  });
  const [{ directory }] = await once(child, 'message');
  const payload = Buffer.alloc(scenario.size - UNSENT, 'u');
  const started = Date.now();
  // Every head first, so the requests start together and REQUEST_TIMEOUT ends them together.
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => startUpload(port + index, scenario)),
  );
  for (const socket of sockets) socket.write(payload);
  let peak = null;
  let peakFiles = 0;
  let allCutAfter = null;
  let sample;
  // Sample until the server holds no connection any more (bounded).
  while (Date.now() - started < 4 * timeout + 10_000) {
    await sleep(250);
    sample = await memory(child);
    if (peak === null || sample.arrayBuffers > peak.arrayBuffers) peak = sample;
    peakFiles = Math.max(peakFiles, readdirSync(directory).length);
    if (sample.connections === 0 && Date.now() - started > 1000) {
      allCutAfter = Date.now() - started;
      break;
    }
  }
  const after = await memory(child);
  const statuses = Object.entries(sample.refusals)
    .map(([label, times]) => `${times} ${label}`)
    .join(', ');
  rows.push({
    scenario,
    peak,
    peakFiles,
    after,
    allCutAfter,
    statuses,
    files: readdirSync(directory).length,
  });
  for (const socket of sockets) socket.destroy();
  child.kill();
  await once(child, 'exit');
}

console.log(
  `\n${clients} uploads stalled ${UNSENT / 1000} KB before their end, REQUEST_TIMEOUT ${timeout} ms, Node ${process.version}`,
);
console.log(
  '(Buffers: memory.arrayBuffers after a forced GC, what request bodies hold; RSS keeps its high-water mark.)\n',
);
console.log(
  '| upload | Buffers at peak | RSS at peak | temporary files at peak | server holds no connection after | refusals logged | Buffers after | files after |',
);
console.log('| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
for (const row of rows) {
  const cut = row.allCutAfter === null ? 'not all' : `${(row.allCutAfter / 1000).toFixed(1)} s`;
  console.log(
    `| ${row.scenario.name} | ${mb(row.peak.arrayBuffers)} | ${mb(row.peak.rss)} | ${row.peakFiles} | ${cut} | ${row.statuses} | ${mb(row.after.arrayBuffers)} | ${row.files} |`,
  );
}
