// Bare node:http: the baseline every other server is measured against. HOOKS=5 runs the request
// through five hand-written pass-through functions first (each calls the next), the floor for what
// five layers can cost.
import './cpu-probe.mjs';
import { createServer } from 'node:http';

const body = Buffer.from('Hello, world');
const hello = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
};
let handler = hello;
for (let index = 0; index < Number(process.env.HOOKS ?? 0); index++) {
  const next = handler;
  handler = (req, res) => next(req, res);
}
const server = createServer(handler);
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
