// Bare ws echo server: the baseline for the WebSocket benchmark.
import './cpu-probe.mjs';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
