// Sends an oversized upload `tries` times, one connection each, as a client in its own process does:
// writing the body as fast as the socket takes it while the answer comes back. Prints, as JSON, the
// status line each connection received (or what went wrong).
//   node oversized-upload-client.mjs <port> <tries> <bytes> <length|chunked>
import { connect } from 'node:net';

const [port, tries, bytes, framing] = process.argv.slice(2);
const size = Number(bytes);
const piece = Buffer.alloc(16 * 1024, 'x');

function head() {
  const framingHeader = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`;
  return `POST /upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n${framingHeader}\r\n\r\n`;
}

function frame(chunk) {
  if (framing !== 'chunked') return chunk;
  return Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
}

function tryOnce() {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const received = [];
    let failure = null;
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', (error) => {
      failure = error.code;
    });
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1');
      resolve(text.split('\r\n', 1)[0] || `nothing (${failure ?? 'closed'})`);
    });
    socket.on('connect', () => {
      socket.write(head());
      let sent = 0;
      const pump = () => {
        while (!socket.destroyed && sent < size) {
          sent += piece.length;
          if (!socket.write(frame(piece))) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

const answers = [];
for (let index = 0; index < Number(tries); index++) answers.push(await tryOnce());
process.stdout.write(JSON.stringify(answers));
