import { path, type HttpRequest, type Settings, type WebSocketConnection } from '@manouche/core';
import { acceptWebsocket, CloseCode, WebSocketClosed } from '@manouche/websocket';
import { closeCodeOf, handshakeLines, Opcode, rawHandshake, stalledPeer } from './support/raw';
import { deferred, serve, until, type Served } from './support/serve';
import { connect } from './support/ws-client';

const KIB = 1024;
const MIB = 1024 * KIB;

let served: Served | null = null;
async function start(settings: Partial<Settings>): Promise<Served> {
  served = await serve({ ROOT_URLCONF: [], ...settings } as Settings);
  return served;
}
afterEach(async () => {
  await served?.close();
  served = null;
});

/** The lines logged at warn level that match `pattern`. */
function warnings(served: Served, pattern: RegExp): string[] {
  return served.logger.at('warn').filter((line) => pattern.test(line));
}

describe('WEBSOCKET_MAX_BUFFERED: what waits for the peer', () => {
  it('closes a peer that stops reading with 1013 once more than the limit waits for it, logged once', async () => {
    const view = deferred<{ refused: unknown; backlog: number }>();
    // A view that sends without awaiting (a broadcaster) until send() refuses.
    const flood = acceptWebsocket(async (request: HttpRequest) => {
      const ws = request.websocket!;
      await ws.wait();
      const chunk = Buffer.alloc(16 * KIB, 'x');
      let backlog = 0;
      for (let sent = 0; sent < 4096; sent++) {
        const sending = ws.send(chunk);
        if (ws.readyState !== 1) {
          view.resolve({ refused: await sending.catch((error: unknown) => error), backlog });
          return;
        }
        backlog = Math.max(backlog, ws.bufferedAmount);
        // Let the socket write what the kernel takes, as between the events of a real broadcaster.
        if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      view.resolve({ refused: null, backlog });
    });
    const server = await start({
      ROOT_URLCONF: [path('flood/', flood)],
      WEBSOCKET_MAX_BUFFERED: 256 * KIB,
      WEBSOCKET_CLOSE_TIMEOUT: 10_000,
    });
    const bystander = await connect(`${server.wsUrl}/flood/`);
    const client = await connect(`${server.wsUrl}/flood/`);
    client.ws.pause();
    await client.send('go');
    const { refused, backlog } = await view.promise;
    expect(refused).toBeInstanceOf(WebSocketClosed);
    // Bounded: the limit, plus the one message that went over it.
    expect(backlog).toBeLessThanOrEqual(256 * KIB + 16 * KIB + 64);
    expect(warnings(server, /closing with 1013/)).toEqual([
      expect.stringMatching(
        /^WebSocket \/flood\/: peer not reading \(\d+ bytes waiting, over WEBSOCKET_MAX_BUFFERED 262144\), closing with 1013$/,
      ),
    ]);
    // A peer that catches up reads everything sent before, then the close frame with 1013.
    client.ws.resume();
    expect((await client.closed).code).toBe(CloseCode.TRY_AGAIN_LATER);
    // The other connection never noticed.
    expect(bystander.ws.readyState).toBe(1);
    await bystander.close(CloseCode.NORMAL);
    expect(server.logger.at('error')).toEqual([]);
  });

  it('never closes a view that awaits each send, however much it sends', async () => {
    const finished = deferred<number>();
    const stream = acceptWebsocket(async (request: HttpRequest) => {
      const ws = request.websocket!;
      const chunk = Buffer.alloc(64 * KIB, 'y');
      for (let sent = 0; sent < 64; sent++) await ws.send(chunk);
      finished.resolve(ws.readyState);
    });
    const server = await start({ ROOT_URLCONF: [path('stream/', stream)], WEBSOCKET_MAX_BUFFERED: 16 * KIB });
    const client = await connect(`${server.wsUrl}/stream/`);
    let received = 0;
    client.ws.on('message', (data: Buffer) => (received += data.length));
    expect(await finished.promise).toBe(1);
    expect((await client.closed).code).toBe(CloseCode.NORMAL);
    expect(received).toBe(64 * 64 * KIB);
    expect(warnings(server, /1013/)).toEqual([]);
  });

  it('releases what a peer that never reads holds once WEBSOCKET_CLOSE_TIMEOUT has passed', async () => {
    const ended = deferred<number | null>();
    const flood = acceptWebsocket(async (request: HttpRequest) => {
      const ws = request.websocket!;
      const chunk = Buffer.alloc(64 * KIB, 'z');
      for (let sent = 0; sent < 2048 && ws.readyState === 1; sent++)
        void ws.send(chunk).catch(() => undefined);
      await ws.ended;
      ended.resolve(ws.closeCode);
    });
    const server = await start({
      ROOT_URLCONF: [path('flood/', flood)],
      WEBSOCKET_MAX_BUFFERED: 64 * KIB,
      WEBSOCKET_CLOSE_TIMEOUT: 300,
    });
    await stalledPeer(server.port, '/flood/');
    // The close frame never reached the peer, so ws reports 1006 (no close frame received).
    expect(await ended.promise).toBe(CloseCode.ABNORMAL);
    expect(warnings(server, /closing with 1013/)).toHaveLength(1);
  });
});

describe('WEBSOCKET_MAX_BUFFERED: what waits for the view', () => {
  it('stops reading from a peer the view is not reading, then hands over every message in order', async () => {
    const release = deferred<void>();
    const seen = deferred<{ queued: number; messages: number }>();
    let connection: WebSocketConnection | null = null;
    const slow = acceptWebsocket(async (request: HttpRequest) => {
      const ws = request.websocket!;
      connection = ws;
      await release.promise;
      const queued = ws.countMessages();
      let messages = 0;
      let expected = 0;
      for await (const message of ws) {
        if (message === 'end') break;
        if (Number(String(message).slice(0, 8)) !== expected++)
          throw new Error(`out of order at ${expected}`);
        messages += 1;
      }
      seen.resolve({ queued, messages });
    });
    const server = await start({ ROOT_URLCONF: [path('slow/', slow)], WEBSOCKET_MAX_BUFFERED: 64 * KIB });
    const client = await connect(`${server.wsUrl}/slow/`);
    await until(() => connection !== null);
    // Send until the server stops taking them: the kernel's buffers fill, then the client's own.
    const padding = 'p'.repeat(16 * KIB - 8);
    let sent = 0;
    while (client.ws.bufferedAmount < 2 * MIB) {
      if (sent * 16 * KIB > 64 * MIB) throw new Error('the server kept reading what the view did not');
      client.ws.send(`${String(sent).padStart(8, '0')}${padding}`);
      sent += 1;
      if (sent % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // What the server holds for the view stays near the limit (what one read brought may go over it).
    const held = connection!.countMessages() * 16 * KIB;
    expect(held).toBeLessThanOrEqual(64 * KIB + 128 * KIB);
    client.ws.send('end');
    release.resolve();
    const { queued, messages } = await seen.promise;
    expect(queued * 16 * KIB).toBeLessThanOrEqual(64 * KIB + 128 * KIB);
    expect(messages).toBe(sent);
    await client.close(CloseCode.NORMAL);
  });
});

describe('liveness: a peer that takes nothing', () => {
  it('is closed with 1013 after two ping intervals even while it keeps sending, releasing an awaited send()', async () => {
    const outcome = deferred<unknown>();
    const big = acceptWebsocket(async (request: HttpRequest) => {
      const ws = request.websocket!;
      await ws.wait();
      try {
        // More than the kernel's buffers take: most of it waits in the server, and never drains.
        await ws.send(Buffer.alloc(32 * MIB, 'b'));
        outcome.resolve('sent');
      } catch (error) {
        outcome.resolve(error);
      }
    });
    const server = await start({
      ROOT_URLCONF: [path('big/', big)],
      WEBSOCKET_PING_INTERVAL: 100,
      WEBSOCKET_MAX_BUFFERED: 64 * MIB,
      WEBSOCKET_CLOSE_TIMEOUT: 200,
    });
    const client = await connect(`${server.wsUrl}/big/`);
    client.ws.pause();
    await client.send('go');
    // Never silent: it talks all the time, it just does not read.
    const chatter = setInterval(() => client.ws.send('still here'), 20);
    try {
      expect(await outcome.promise).toBeInstanceOf(WebSocketClosed);
    } finally {
      clearInterval(chatter);
    }
    expect(warnings(server, /closing with 1013/)).toEqual([
      expect.stringMatching(
        /^WebSocket \/big\/: peer took none of the \d+ bytes waiting for it in 200 ms, closing with 1013$/,
      ),
    ]);
    client.ws.terminate();
  });
});

describe('WEBSOCKET_CLOSE_TIMEOUT', () => {
  it('destroys the socket of a peer that never answers the close frame once it has passed', async () => {
    const server = await start({
      ROOT_URLCONF: [
        path(
          'bye/',
          acceptWebsocket(async () => undefined),
        ),
      ],
      WEBSOCKET_CLOSE_TIMEOUT: 300,
    });
    // ws's own default would keep the socket for 30 s; the window is far shorter than that.
    const result = await rawHandshake(server.port, handshakeLines('/bye/', server.port), {
      answerClose: false,
      windowMs: 8000,
    });
    expect(result.status).toBe(101);
    const close = result.frames.find((frame) => frame.opcode === Opcode.CLOSE);
    expect(close && closeCodeOf(close)).toBe(CloseCode.NORMAL);
    expect(result.ended).toBe(true);
  });
});
