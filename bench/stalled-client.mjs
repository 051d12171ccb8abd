// A raw WebSocket client that completes the handshake, waits until `until` has arrived (the end of the
// head, or a welcome message), then never reads another byte: the slow peer the server must cut off.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

export function stalledClient(port, path, until = '\r\n\r\n') {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const onData = (chunk) => {
      received += chunk.toString('latin1');
      if (!received.includes(until)) return;
      socket.off('data', onData);
      socket.pause();
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}
