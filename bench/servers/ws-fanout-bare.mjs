// The bare ws loop the fan-out benchmark compares groupSend with: every WebSocket to /member/ is kept
// in a Set (and sent "joined"); one to /publish/, sent a count N and a size, sends N messages of that
// size to every member in a plain loop and answers "published <ms>", the protocol of ws-group.mjs.
import './cpu-probe.mjs';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';

const members = new Set();
const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (socket, request) => {
  if (request.url === '/member/') {
    members.add(socket);
    socket.on('close', () => members.delete(socket));
    socket.send('joined');
    return;
  }
  socket.on('message', (data) => {
    const [count, size] = String(data).split(' ').map(Number);
    const padding = 'm'.repeat(size);
    const started = performance.now();
    for (let index = 0; index < count; index++) {
      const message = `${index} ${padding}`;
      for (const member of members) member.send(message);
    }
    socket.send(`published ${(performance.now() - started).toFixed(0)}`);
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
