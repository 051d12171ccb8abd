// Bare ws written the way a Manouche view reads its socket: each text message decoded to a string,
// and a `for await` loop over the messages (a small queue-backed async iterator over ws's 'message'
// events). What that idiom costs on ws alone, so the Manouche row can be read against the same work.
import './cpu-probe.mjs';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

function messagesOf(socket) {
  const queued = [];
  let waiting = null;
  let closed = false;
  socket.on('message', (data, isBinary) => {
    const message = isBinary ? data : data.toString('utf8');
    if (waiting === null) queued.push(message);
    else {
      const resolve = waiting;
      waiting = null;
      resolve({ done: false, value: message });
    }
  });
  socket.on('close', () => {
    closed = true;
    waiting?.({ done: true, value: undefined });
  });
  return {
    next() {
      if (queued.length > 0) return Promise.resolve({ done: false, value: queued.shift() });
      if (closed) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', async (socket) => {
  for await (const message of messagesOf(socket)) socket.send(message);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
