import type { Application, Logger } from '@manouche/core';
import { LiveServer } from '@manouche/testing';
import WebSocket from 'ws';
import { stalledPeer, type StalledPeer } from '../../../packages/websocket/test/support/raw';
import { blogOf } from '../src/app';
import { makeApp, SETTINGS, waitFor } from './helpers';

const KIB = 1024;
// Far more than the kernel's buffers take for the three stalled readers (about 500 bytes a line).
const MOST_LINES = 60_000;

describe.each(SETTINGS)('the chat under readers that never read, with %s', (_, base) => {
  let app: Application;
  let server: LiveServer;
  const warnings: string[] = [];
  const logger: Logger = {
    info: () => undefined,
    warn: (line) => void warnings.push(line),
    error: () => undefined,
  };

  beforeAll(async () => {
    app = makeApp(base, { LOGGER: logger, WEBSOCKET_MAX_BUFFERED: 64 * KIB, WEBSOCKET_CLOSE_TIMEOUT: 300 });
    server = new LiveServer(app);
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
    blogOf(app).close();
  });

  it('closes the guests that stopped reading, while a guest who sends lines keeps getting them', async () => {
    const stalled: StalledPeer[] = [];
    for (let index = 0; index < 3; index++) stalled.push(await stalledPeer(server.port, '/posts/1/chat/'));
    await waitFor(() => blogOf(app).chat.here(1) === 3, 'the stalled guests to join');

    const sender = new WebSocket(`${server.wsUrl}/posts/1/chat/`);
    let echoed = 0;
    sender.on('message', (data: Buffer) => {
      if (data.includes('"type":"message"')) echoed += 1;
    });
    await new Promise((resolve) => sender.once('open', resolve));
    await waitFor(() => blogOf(app).chat.here(1) === 4, 'the sender to join');

    let sent = 0;
    while (blogOf(app).chat.here(1) > 1) {
      if (sent >= MOST_LINES)
        throw new Error(`${sent} lines sent and the stalled guests are still in the room`);
      sender.send(`line ${sent} ${'x'.repeat(400)}`);
      sent += 1;
      // Let the server (and this reader) work between bursts, as real clients do.
      if (sent % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Every stalled guest was cut off once, with one line saying why; the sender was not.
    expect(warnings.filter((line) => line.includes('closing with 1013'))).toHaveLength(3);
    expect(sender.readyState).toBe(WebSocket.OPEN);
    sender.send('after them');
    await waitFor(() => echoed === sent + 1, 'the sender to get every line back', 10_000);
    sender.close();
    for (const peer of stalled) peer.socket.destroy();
  });
});
