// Bare node:http2 over TLS (ALPN h2): the baseline for the HTTP/2 figures. Answers every stream
// with the same hello world as the HTTP/1.1 servers. CERT and KEY name PEM files.
import './cpu-probe.mjs';
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';

const body = Buffer.from('Hello, world');
const server = createSecureServer({
  cert: readFileSync(process.env.CERT),
  key: readFileSync(process.env.KEY),
});
server.on('stream', (stream) => {
  stream.respond({
    ':status': 200,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
  });
  stream.end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
