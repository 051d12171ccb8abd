// WebSocket echo benchmark: N clients, each sending a 1 KB message and waiting for its echo before
// sending the next, for D seconds; reports echoed messages per second against a bare ws server.
//   npm run build && node bench/ws-echo.mjs [--duration 10] [--clients 100] [--size 1024]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    clients: { type: 'string', default: '100' },
    size: { type: 'string', default: '1024' },
  },
});
const duration = Number(values.duration) * 1000;
const clients = Number(values.clients);
const payload = 'x'.repeat(Number(values.size));

async function load(url) {
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => {
      const socket = new WebSocket(url);
      return once(socket, 'open').then(() => socket);
    }),
  );
  let echoed = 0;
  let running = true;
  for (const socket of sockets) {
    socket.on('message', () => {
      echoed += 1;
      if (running) socket.send(payload);
    });
    socket.send(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, duration));
  running = false;
  for (const socket of sockets) socket.terminate();
  return echoed / (duration / 1000);
}

const SERVERS = [
  { name: 'ws (bare)', script: 'ws-bare.mjs' },
  { name: 'manouche acceptWebsocket view', script: 'ws-manouche.mjs' },
];
const results = [];
let port = 39200;
for (const server of SERVERS) {
  port += 1;
  const child = fork(fileURLToPath(new URL(`./servers/${server.script}`, import.meta.url)), {
    env: { ...process.env, PORT: String(port) },
    stdio: 'inherit',
  });
  await once(child, 'message');
  const rate = await load(`ws://127.0.0.1:${port}/`);
  child.kill();
  await once(child, 'exit');
  results.push({ name: server.name, rate });
  console.error(`${server.name}: ${Math.round(rate)} messages/s`);
}
const baseline = results[0].rate;
console.log(
  `\nEcho, ${clients} clients, ${values.size}-byte text messages, ${values.duration} s each, Node ${process.version}\n`,
);
console.log('| server | messages/s | vs bare ws |');
console.log('| --- | ---: | ---: |');
for (const r of results)
  console.log(`| ${r.name} | ${Math.round(r.rate)} | ${(r.rate / baseline).toFixed(2)}x |`);
