// Push transports compared (first cut): C clients each receive one 100-byte update per second for D
// seconds, over Ajax polling (every 1 s), long polling, Server-Sent Events and WebSocket, then SSE and
// WebSocket over cleartext HTTP/2 (one HTTP/2 connection per client), in one run.
// The server (a child process, one WebSocket view with fallback ['sse', 'longpoll'] whose plain GET
// answers the polling) counts every byte its sockets read and write, HTTP heads and connection set-up
// included; the clients measure each update's delay from the server's send time.
// It also reads the server's CPU time for each transport (process.cpuUsage in the child, from the
// reset to the end) and divides it by the updates delivered. Writes bench/results/push-transports.json.
//   npm run build && node bench/push-transports.mjs [--clients 100] [--duration 30]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { openHttp2WebSocket } from '@manouche/testing';
import { printTable, writeResults } from './lib/results.mjs';

const UPDATE_BYTES = 100;
const now = () => performance.timeOrigin + performance.now();
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The server ----------------------------------------------------------------------------------------

async function serve() {
  const { createApp, HttpResponse, path } = await import('@manouche/core');
  const { acceptWebsocket, getChannelLayer, WebSocketMiddleware } = await import('@manouche/websocket');
  const updates = [];
  const feed = acceptWebsocket({ fallback: ['sse', 'longpoll'] })(async (request) => {
    const ws = request.websocket;
    if (ws === null) {
      // Ajax polling: the updates after ?since=, one a line.
      const since = Number(request.GET.get('since') ?? 0);
      const body = updates.filter((update) => update.id > since).map((update) => update.payload);
      return new HttpResponse(body.join('\n'), { contentType: 'text/plain' });
    }
    await getChannelLayer(app).groupAdd('feed', ws);
    await ws.ended;
  });
  const app = createApp({
    ROOT_URLCONF: [path('feed/', feed)],
    MIDDLEWARE: [WebSocketMiddleware],
    LOGGER: { info() {}, warn() {}, error: (message, error) => console.error(message, error) },
  });
  // HTTP/1.1 and cleartext HTTP/2 (h2c, prior knowledge) on one port: every socket is a 'connection'.
  const server = await app.listen({ port: 0, host: '127.0.0.1', http2: true });
  let closedBytes = 0;
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      closedBytes += socket.bytesRead + socket.bytesWritten;
    });
  });
  // Only bytes since the last reset count: each transport starts from zero.
  let baseline = 0;
  let cpuBaseline = process.cpuUsage();
  const total = () => closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesRead + s.bytesWritten, 0);
  let nextId = 0;
  process.on('message', async (message) => {
    if (message.type === 'reset') {
      baseline = total();
      cpuBaseline = process.cpuUsage();
      process.send({ type: 'reset' });
    } else if (message.type === 'broadcast') {
      for (let index = 0; index < message.count; index++) {
        const id = ++nextId;
        const head = JSON.stringify({ id, t: now(), pad: '' });
        const payload = head.replace('"pad":""', `"pad":"${'x'.repeat(UPDATE_BYTES - head.length)}"`);
        updates.push({ id, payload });
        if (updates.length > 120) updates.shift();
        await getChannelLayer(app).groupSend('feed', payload);
        await delay(1000);
      }
      process.send({ type: 'broadcast', lastId: nextId });
    } else if (message.type === 'bytes') {
      const cpu = process.cpuUsage(cpuBaseline);
      process.send({ type: 'bytes', bytes: total() - baseline, cpuMicros: cpu.user + cpu.system });
    } else if (message.type === 'exit') {
      await app.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0)); // the measuring process is gone
  process.send({ type: 'ready', port: server.address().port });
}

// The clients --------------------------------------------------------------------------------------

async function measure() {
  const { values } = parseArgs({
    options: { clients: { type: 'string', default: '100' }, duration: { type: 'string', default: '30' } },
  });
  const clients = Number(values.clients);
  const duration = Number(values.duration);
  const child = fork(fileURLToPath(import.meta.url), ['server'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = async (message) => {
    const answer = once(child, 'message');
    child.send(message);
    return (await answer)[0];
  };
  const { port } = (await once(child, 'message'))[0];
  const base = `http://127.0.0.1:${port}/feed/`;

  const results = [];
  for (const transport of Object.keys(CLIENTS)) {
    await ask({ type: 'reset' });
    const latencies = [];
    const seen = new Set();
    const onUpdate = (payload, client) => {
      const { id, t } = JSON.parse(payload);
      const key = `${client}:${id}`;
      if (seen.has(key)) return;
      seen.add(key);
      latencies.push(now() - t);
    };
    const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
    const stops = [];
    for (let client = 0; client < clients; client++)
      stops.push(await CLIENTS[transport](base, agent, (payload) => onUpdate(payload, client)));
    await delay(500); // everyone connected
    await ask({ type: 'broadcast', count: duration });
    await delay(1500); // the last update reaches the last poller
    const { bytes, cpuMicros } = await ask({ type: 'bytes' });
    for (const stop of stops) stop();
    agent.destroy();
    latencies.sort((a, b) => a - b);
    const delivered = latencies.length;
    results.push({
      transport,
      delivered: `${delivered}/${clients * duration}`,
      bytesPerUpdate: Math.round(bytes / Math.max(1, delivered)),
      medianMs: Number((latencies[Math.floor(delivered / 2)] ?? NaN).toFixed(1)),
      p99Ms: Number((latencies[Math.floor(delivered * 0.99)] ?? NaN).toFixed(1)),
      cpuPerUpdate: cpuMicros / Math.max(1, delivered),
    });
    console.log(results.at(-1));
    await delay(500);
  }
  const exited = once(child, 'exit');
  child.send({ type: 'exit' });
  await exited;
  const table = {
    title: `${clients} clients, one ${UPDATE_BYTES}-byte update per second each for ${duration} s, on 127.0.0.1 without TLS`,
    columns: [
      { key: 'name', label: 'transport' },
      { key: 'delivered', label: 'updates delivered' },
      { key: 'bytesPerUpdate', label: 'bytes on the wire per update' },
      { key: 'medianMs', label: 'median delivery latency (ms)', digits: 1 },
      { key: 'p99Ms', label: 'p99 latency (ms)', digits: 1 },
      { key: 'cpuPerUpdate', label: 'server CPU per update (us)', digits: 1 },
    ],
    rows: results.map(({ transport, ...row }) => ({ name: TRANSPORT_NAMES[transport], ...row })),
    chart: { x: 'bytesPerUpdate', y: 'name', label: 'bytes on the wire per update (lower is better)' },
  };
  printTable(table);
  await writeResults('push-transports', {
    title: 'Push transports: Ajax polling, long polling, SSE, WebSocket',
    order: 60,
    command: `node bench/push-transports.mjs --clients ${clients} --duration ${duration}`,
    notes: [
      "One Manouche view, acceptWebsocket({ fallback: ['sse', 'longpoll'] }), serves them all: its plain GET answers the Ajax polls (the updates after ?since=), the fallback serves long polling and Server-Sent Events, and a WebSocket gets the upgrade. Each update is a groupSend to every connection (the Ajax pollers read a list the server keeps). The server listens with app.listen({ http2: true }) without TLS: HTTP/1.1 and cleartext HTTP/2 (h2c) on one port; the HTTP/2 rows give each client its own HTTP/2 connection, as separate browsers would.",
      "Bytes count everything the server's sockets read and wrote while the transport ran (HTTP heads, polls that came back empty, connection set-up), divided by the updates delivered. Latency is from the server's send time to the client's parse, on the same machine. Server CPU is the server process's user + system time over the same span, divided by the updates delivered.",
    ],
    tables: [table],
  });
}

const TRANSPORT_NAMES = {
  ajax: 'Ajax polling (every 1 s)',
  longpoll: 'long polling',
  sse: 'Server-Sent Events',
  websocket: 'WebSocket',
  'sse-h2': 'Server-Sent Events over HTTP/2 (h2c)',
  'websocket-h2': 'WebSocket over HTTP/2 (h2c, RFC 8441)',
};

function get(url, agent, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const CLIENTS = {
  // Polls every second (from a random start, as real clients would spread), asking for what is new.
  async ajax(base, agent, onUpdate) {
    let last = 0;
    let stopped = false;
    void (async () => {
      await delay(Math.random() * 1000);
      while (!stopped) {
        const started = now();
        const { body } = await get(`${base}?since=${last}`, agent).catch(() => ({ body: '' }));
        for (const line of body.split('\n').filter(Boolean)) {
          last = Math.max(last, JSON.parse(line).id);
          onUpdate(line);
        }
        await delay(Math.max(0, 1000 - (now() - started)));
      }
    })();
    return () => (stopped = true);
  },

  async longpoll(base, agent, onUpdate) {
    const opened = JSON.parse((await get(`${base}?_transport=longpoll`, agent)).body);
    let last = 0;
    let stopped = false;
    void (async () => {
      while (!stopped) {
        const { status, body } = await get(
          `${base}?_transport=longpoll&_connection=${opened.id}&_last=${last}`,
          agent,
        ).catch(() => ({ status: 0, body: '' }));
        if (status !== 200) break;
        const answer = JSON.parse(body);
        for (const message of answer.messages) {
          last = message.seq;
          onUpdate(message.text);
        }
        if (answer.close) break;
      }
    })();
    return () => {
      stopped = true;
      const closing = `${base}?_transport=longpoll&_connection=${opened.id}&_close=1000`;
      void get(closing, agent, {}, 'POST').catch(() => undefined);
    };
  },

  async sse(base, agent, onUpdate) {
    const req = request(`${base}?_transport=sse`, { agent, headers: { Accept: 'text/event-stream' } });
    req.end();
    const [res] = await once(req, 'response');
    readEvents(res, onUpdate);
    return () => res.destroy();
  },

  // Each client its own HTTP/2 connection, as separate browsers would have.
  async 'sse-h2'(base, _agent, onUpdate) {
    const { origin, pathname } = new URL(base);
    const session = connectHttp2(origin);
    session.on('error', () => undefined);
    await once(session, 'remoteSettings');
    const stream = session.request({ ':path': `${pathname}?_transport=sse`, accept: 'text/event-stream' });
    readEvents(stream, onUpdate);
    return () => session.destroy();
  },

  async websocket(base, _agent, onUpdate) {
    const ws = new WebSocket(base.replace('http:', 'ws:'));
    ws.on('message', (data) => onUpdate(data.toString()));
    ws.on('error', () => undefined);
    await once(ws, 'open');
    return () => ws.close();
  },

  async 'websocket-h2'(base, _agent, onUpdate) {
    const { socket, session } = await openHttp2WebSocket(base.replace('http:', 'ws:'));
    if (socket === null) throw new Error('the HTTP/2 WebSocket handshake was refused');
    socket.on('message', (data) => onUpdate(data.toString()));
    socket.on('error', () => undefined);
    return () => {
      socket.terminate();
      session.destroy();
    };
  },
};

/** Reads an event stream from `readable`, handing each message event's data to `onUpdate`. */
function readEvents(readable, onUpdate) {
  let buffer = '';
  readable.setEncoding('utf8');
  readable.on('data', (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      if (lines.some((line) => line.startsWith('event: '))) continue; // connected, close
      const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
      if (data.length > 0) onUpdate(data.join('\n'));
    }
  });
  readable.on('error', () => undefined);
}

// Last, once CLIENTS is defined.
if (process.argv[2] === 'server') await serve();
else await measure();
