import { path, type HttpRequest, type WebSocketConnection } from '@manouche/core';
import { acceptWebsocket, CloseCode, ReadyState, WebSocketClosed } from '@manouche/websocket';
import { deferred, delay, serve, until, type Deferred, type Served } from './support/serve';
import { connect, connected } from './support/ws-client';

/** What a view saw, handed to the test. */
type Report = Record<string, unknown>;

let served: Served;
let report: Deferred<Report>;
const relayPeers = new Set<WebSocketConnection>();

function socketOf(request: HttpRequest): WebSocketConnection {
  if (request.websocket === null) throw new Error('expected request.websocket to be set');
  return request.websocket;
}

/** A WebSocket view that runs `body` and hands what it returns to the test. */
function reporting(body: (ws: WebSocketConnection) => Promise<Report>) {
  return acceptWebsocket(async (request: HttpRequest) => {
    try {
      report.resolve(await body(socketOf(request)));
    } catch (error) {
      report.resolve({ threw: String(error) });
    }
  });
}

beforeAll(async () => {
  served = await serve({
    ROOT_URLCONF: [
      path(
        'echo/',
        acceptWebsocket(async (request: HttpRequest) => {
          const ws = socketOf(request);
          for await (const message of ws) await ws.send(message);
        }),
      ),
      path(
        'relay/',
        acceptWebsocket(async (request: HttpRequest) => {
          const ws = socketOf(request);
          relayPeers.add(ws);
          for await (const message of ws) {
            if (typeof message !== 'string') continue;
            for (const peer of relayPeers) if (peer !== ws) await peer.send(message);
            // Same length, different text: must not go out as the bytes just received.
            await ws.send([...message].reverse().join(''));
          }
          relayPeers.delete(ws);
        }),
      ),
      path(
        'send-escapes/',
        acceptWebsocket(async (request: HttpRequest) => {
          const ws = socketOf(request);
          await ws.wait(); // null: the client closed
          await ws.send('too late'); // rejects with WebSocketClosed, which the view lets escape
        }),
      ),
      path(
        'wait/',
        reporting(async (ws) => {
          const first = await ws.wait();
          const second = await ws.wait();
          const afterClose = await ws.wait();
          return { first, secondIsBuffer: Buffer.isBuffer(second), second: String(second), afterClose };
        }),
      ),
      path(
        'wait-timeout/',
        reporting(async (ws) => {
          const timedOut = await ws.wait(50);
          const stateAfterTimeout = ws.readyState;
          await ws.send('ready');
          const inTime = await ws.wait(5000);
          return { timedOut, stateAfterTimeout, inTime };
        }),
      ),
      path(
        'queue/',
        reporting(async (ws) => {
          const before = { read: ws.read(), has: ws.hasMessages(), count: ws.countMessages() };
          await ws.send('send three');
          await until(() => ws.countMessages() === 3);
          const during = { has: ws.hasMessages(), count: ws.countMessages() };
          const read = [ws.read(), ws.read(), ws.read()];
          const after = { read: ws.read(), has: ws.hasMessages(), count: ws.countMessages() };
          return { before, during, read, after };
        }),
      ),
      path(
        'send/',
        reporting(async (ws) => {
          const text = await ws.send('héllo ✓');
          await ws.send(Buffer.from([0, 1, 2, 255]));
          await ws.send(new Uint8Array([7, 8, 9]));
          await ws.send(new Uint8Array(Buffer.from('xxslice')).subarray(2));
          return { resolvedWith: text };
        }),
      ),
      path(
        'send-after-close/',
        reporting(async (ws) => {
          await ws.wait(); // null: the peer closed
          try {
            await ws.send('too late');
            return { rejected: false };
          } catch (error) {
            return {
              rejected: true,
              message: (error as Error).message,
              isWebSocketClosed: error instanceof WebSocketClosed,
              code: (error as WebSocketClosed).code,
            };
          }
        }),
      ),
      path(
        'send-unawaited/',
        reporting(async (ws) => {
          await ws.wait(); // null: the peer closed
          const unhandled: unknown[] = [];
          const listener = (reason: unknown): number => unhandled.push(reason);
          process.on('unhandledRejection', listener);
          void ws.send('nobody awaits this');
          await new Promise((resolve) => setTimeout(resolve, 20));
          process.off('unhandledRejection', listener);
          return { unhandled: unhandled.length };
        }),
      ),
      path(
        'close/',
        reporting(async (ws) => {
          ws.close(4001, 'bye now');
          const stateWhileClosing = ws.readyState;
          const next = await ws.wait();
          return { stateWhileClosing, next, closeCode: ws.closeCode, closeReason: ws.closeReason };
        }),
      ),
      path(
        'iterate/',
        reporting(async (ws) => {
          const seen: Array<string | Buffer> = [];
          for await (const message of ws) seen.push(message);
          return { seen: seen.map(String), closed: ws.closed };
        }),
      ),
      path(
        'state/',
        reporting(async (ws) => {
          const open = {
            closed: ws.closed,
            readyState: ws.readyState,
            bufferedAmount: ws.bufferedAmount,
            protocol: ws.protocol,
            closeCode: ws.closeCode,
            closeReason: ws.closeReason,
          };
          await ws.send('state recorded');
          await ws.wait();
          const ended = {
            closed: ws.closed,
            readyState: ws.readyState,
            closeCode: ws.closeCode,
            closeReason: ws.closeReason,
          };
          return { open, ended };
        }),
      ),
      path(
        'peer-leaves/',
        reporting(async (ws) => {
          await ws.send('go away');
          const waited = await ws.wait();
          const outcome: Report = {
            waited,
            read: ws.read(),
            waitedWithTimeout: await ws.wait(10),
            has: ws.hasMessages(),
            count: ws.countMessages(),
            closed: ws.closed,
            closeCode: ws.closeCode,
          };
          ws.close();
          ws.close(CloseCode.NORMAL, 'twice');
          const iterated: unknown[] = [];
          for await (const message of ws) iterated.push(message);
          outcome.iterated = iterated;
          outcome.send = await ws.send('anyone?').then(
            () => 'resolved',
            (error: Error) => `rejected: ${error.message}`,
          );
          return outcome;
        }),
      ),
    ],
  });
});

afterAll(() => served.close());

beforeEach(() => {
  report = deferred<Report>();
});

describe('request.websocket.wait()', () => {
  it('resolves to the next message: text as a string, binary as a Buffer', async () => {
    const client = await connected(`${served.wsUrl}/wait/`);
    await client.send('first');
    await client.send(Buffer.from('second'));
    await client.close();
    const seen = await report.promise;
    expect(seen.first).toBe('first');
    expect(seen.secondIsBuffer).toBe(true);
    expect(seen.second).toBe('second');
  });

  it('resolves null after the peer closes', async () => {
    const client = await connected(`${served.wsUrl}/wait/`);
    await client.send('first');
    await client.send('second');
    await client.close(CloseCode.NORMAL);
    expect((await report.promise).afterClose).toBeNull();
  });

  it('resolves null once timeoutMs passes without a message, leaving the connection open', async () => {
    const client = await connected(`${served.wsUrl}/wait-timeout/`);
    expect(await client.receive()).toBe('ready');
    await client.send('in time');
    const seen = await report.promise;
    expect(seen.timedOut).toBeNull();
    expect(seen.stateAfterTimeout).toBe(ReadyState.OPEN);
    expect(seen.inTime).toBe('in time');
    expect((await client.closed).code).toBe(CloseCode.NORMAL);
  });
});

describe('request.websocket.read() / hasMessages() / countMessages()', () => {
  it('read() gives null on an empty queue without waiting, then the queued messages in order', async () => {
    const client = await connected(`${served.wsUrl}/queue/`);
    expect(await client.receive()).toBe('send three');
    await client.send('a');
    await client.send('b');
    await client.send(Buffer.from('c'));
    const seen = await report.promise;
    expect(seen.before).toEqual({ read: null, has: false, count: 0 });
    expect(seen.during).toEqual({ has: true, count: 3 });
    expect(seen.read).toEqual(['a', 'b', Buffer.from('c')]);
    expect(seen.after).toEqual({ read: null, has: false, count: 0 });
    await client.closed;
  });
});

describe('request.websocket.send()', () => {
  it('sends a string as a text frame and bytes as binary frames; UTF-8 round-trips', async () => {
    // receive() gives a string for a text frame and a Buffer for a binary one.
    const client = await connected(`${served.wsUrl}/send/`);
    expect(await client.receive()).toBe('héllo ✓');
    expect(await client.receive()).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await client.receive()).toEqual(Buffer.from([7, 8, 9]));
    expect(await client.receive()).toEqual(Buffer.from('slice'));
    expect((await report.promise).resolvedWith).toBeUndefined();
  });

  it('echoes what the client sends, text as text and binary as binary', async () => {
    const client = await connected(`${served.wsUrl}/echo/`);
    await client.send('héllo ✓');
    expect(await client.receive()).toBe('héllo ✓');
    await client.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(await client.receive()).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(await client.close(CloseCode.NORMAL, 'done')).toEqual({ code: CloseCode.NORMAL, reason: 'done' });
  });

  it('relays a received text message to another connection byte for byte, and sends other text as itself', async () => {
    const alice = await connected(`${served.wsUrl}/relay/`);
    const bob = await connected(`${served.wsUrl}/relay/`);
    await until(() => relayPeers.size === 2);
    await alice.send('héllo ✓ from alice');
    expect(await bob.receive()).toBe('héllo ✓ from alice');
    expect(await alice.receive()).toBe('ecila morf ✓ olléh');
    await bob.send('ünïcödé');
    expect(await alice.receive()).toBe('ünïcödé');
    expect(await bob.receive()).toBe('édöcïnü');
    await alice.close(CloseCode.NORMAL);
    await bob.close(CloseCode.NORMAL);
  });

  it('rejects with a clear error once the connection is closed', async () => {
    const client = await connected(`${served.wsUrl}/send-after-close/`);
    await client.close(CloseCode.NORMAL);
    const seen = await report.promise;
    expect(seen.rejected).toBe(true);
    expect(seen.message).toMatch(/Cannot send on a WebSocket that is closed \(code 1000\)/);
    expect(seen).toMatchObject({ isWebSocketClosed: true, code: 'MNC_ERR_WEBSOCKET_CLOSED' });
  });

  it('logs a send that escapes the view after the peer left as one warning (499), not a server error', async () => {
    const before = served.logger.lines.length;
    const client = await connected(`${served.wsUrl}/send-escapes/`);
    await client.close(CloseCode.NORMAL);
    await until(() => served.logger.lines.length > before);
    await delay(50);
    expect(served.logger.lines.slice(before)).toEqual([
      {
        level: 'warn',
        message:
          'Client Closed Request: /send-escapes/ (Cannot send on a WebSocket that is closed (code 1000))',
      },
    ]);
  });

  it('does not turn a send nobody awaits, after the peer left, into an unhandled rejection', async () => {
    const client = await connected(`${served.wsUrl}/send-unawaited/`);
    await client.close(CloseCode.NORMAL);
    expect(await report.promise).toEqual({ unhandled: 0 });
  });
});

describe('request.websocket.close()', () => {
  it('sends the code and reason to the client and starts the closing handshake', async () => {
    const client = await connected(`${served.wsUrl}/close/`);
    expect(await client.closed).toEqual({ code: 4001, reason: 'bye now' });
    const seen = await report.promise;
    expect(seen.stateWhileClosing).toBe(ReadyState.CLOSING);
    expect(seen.next).toBeNull();
    expect(seen.closeCode).toBe(4001);
    expect(seen.closeReason).toBe('bye now');
  });
});

describe('request.websocket[Symbol.asyncIterator]', () => {
  it('yields every message, then ends when the peer closes', async () => {
    const client = await connected(`${served.wsUrl}/iterate/`);
    await client.send('one');
    await client.send('two');
    await client.close();
    expect(await report.promise).toEqual({ seen: ['one', 'two'], closed: true });
  });
});

describe('request.websocket state', () => {
  it('reports closed, readyState, bufferedAmount, protocol, closeCode and closeReason', async () => {
    const client = await connected(`${served.wsUrl}/state/`);
    expect(await client.receive()).toBe('state recorded');
    await client.close(4000, 'done');
    const seen = await report.promise;
    expect(seen.open).toEqual({
      closed: false,
      readyState: ReadyState.OPEN,
      bufferedAmount: 0,
      protocol: '',
      closeCode: null,
      closeReason: '',
    });
    expect(seen.ended).toEqual({
      closed: true,
      readyState: ReadyState.CLOSED,
      closeCode: 4000,
      closeReason: 'done',
    });
  });
});

describe('after the peer leaves', () => {
  it('nothing throws: wait/read give null, close is a no-op, iteration ends, send rejects', async () => {
    // The bespoke client: WebSocketTestClient always closes with a handshake.
    const client = await connect(`${served.wsUrl}/peer-leaves/`);
    expect(await client.nextText()).toBe('go away');
    client.ws.terminate(); // no closing handshake: the TCP connection just goes
    const seen = await report.promise;
    expect(seen).toEqual({
      waited: null,
      read: null,
      waitedWithTimeout: null,
      has: false,
      count: 0,
      closed: true,
      closeCode: CloseCode.ABNORMAL,
      iterated: [],
      send: 'rejected: Cannot send on a WebSocket that is closed (code 1006)',
    });
    expect(served.logger.at('error')).toEqual([]);
  });
});
