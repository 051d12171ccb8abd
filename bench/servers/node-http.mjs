// Bare node:http: the baseline every other server is measured against.
import './cpu-probe.mjs';
import { createServer } from 'node:http';

const body = Buffer.from('Hello, world');
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
});
process.on('SIGINT', () => process.exit(0));
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
