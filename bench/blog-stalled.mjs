// The blog under slow consumers: N guest chat sockets that never read (raw TCP, paused right after
// the handshake) plus one guest sending chat lines as fast as the server takes them, for D seconds.
// Reports the blog process's RSS (from /proc) before, at its peak and at the end, and how the
// stalled sockets ended.
//   npm run build && node bench/blog-stalled.mjs [--stalled 25] [--duration 5] [--post 1]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stalledClient } from './stalled-client.mjs';
import { clearTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    stalled: { type: 'string', default: '25' },
    duration: { type: 'string', default: '5' },
    post: { type: 'string', default: '1' },
    // Then how long to wait before looking at the stalled sockets (past WEBSOCKET_CLOSE_TIMEOUT, 5 s).
    settle: { type: 'string', default: '6' },
  },
});
const port = 20000 + Math.floor(Math.random() * 10000);
const chatPath = `/posts/${values.post}/chat/`;
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const blog = fork(fileURLToPath(new URL('../examples/blog/dist/main.js', import.meta.url)), {
  env: { ...process.env, PORT: String(port), BLOG_DATABASE: ':memory:' },
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
});
blog.stderr.resume();
await once(blog.stdout, 'data');
blog.stdout.resume();

const rssOf = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const mb = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`;

/** A guest that completes the handshake and then never reads another byte. */
const stalledGuest = () => stalledClient(port, chatPath);

/** Whether the server ended the connection: reads what is left, for at most `ms`. */
function endedByServer(socket, ms) {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.on('end', done);
    socket.on('close', done);
    socket.resume();
  });
}

const before = rssOf(blog.pid);
const stalled = await Promise.all(Array.from({ length: Number(values.stalled) }, stalledGuest));
const sender = new WebSocket(`ws://127.0.0.1:${port}${chatPath}`);
await once(sender, 'open');
let received = 0;
sender.on('message', (data) => {
  if (data.includes('"type":"message"')) received += 1;
});
const line = 'x'.repeat(400);
let sent = 0;
let peak = before;
const started = Date.now();
const deadline = started + Number(values.duration) * 1000;
while (Date.now() < deadline && sender.readyState === WebSocket.OPEN) {
  // As fast as the server reads: keep a little in flight, never pile up in this process.
  while (sender.bufferedAmount < 64 * 1024 && sent % 200 !== 199) {
    sender.send(line);
    sent += 1;
  }
  sent += 1;
  sender.send(line);
  await delay(1);
  peak = Math.max(peak, rssOf(blog.pid));
}
const atEnd = rssOf(blog.pid);
// What the server does with them afterwards: WEBSOCKET_CLOSE_TIMEOUT and friends.
await delay(Number(values.settle) * 1000);
const settled = rssOf(blog.pid);
let closed = 0;
for (const socket of stalled) if (await endedByServer(socket, 100)) closed += 1;
sender.terminate();
blog.kill('SIGTERM');
await once(blog, 'exit');
console.log(
  `${values.stalled} stalled guests + 1 sender for ${values.duration} s: blog RSS ${mb(before)} before, ` +
    `${mb(peak)} at peak, ${mb(atEnd)} at the end, ${mb(settled)} ${values.settle} s later; ${sent} lines sent, ` +
    `${received} back to the sender; ${closed} of ${values.stalled} stalled sockets closed by the server`,
);
