import fc from './support/fast-check';
import { randomBytes } from 'node:crypto';
import { HttpResponse, path, type HttpRequest } from '@manouche/core';
import { acceptWebsocket, CloseCode, WebSocketMiddleware } from '@manouche/websocket';
import { clientFrame, closeCodeOf, closePayload, handshakeLines, Opcode, rawHandshake } from './support/raw';
import { serve, type Served } from './support/serve';
import { connected } from './support/ws-client';

// Generated handshakes and frame sequences over raw sockets: whatever a client sends, the answer is a
// 101 or the right 4xx, a connection ends with a protocol close code (never 1011, never a crash), and
// the server goes on serving everyone else.

let served: Served;

beforeAll(async () => {
  served = await serve({
    ROOT_URLCONF: [
      path(
        'echo/',
        acceptWebsocket(async (request: HttpRequest) => {
          const ws = request.websocket!;
          for await (const message of ws) await ws.send(message);
        }),
      ),
      // Accepts and closes at once; plain HTTP gets a page.
      path(
        'bye/',
        acceptWebsocket(async (request: HttpRequest) =>
          request.websocket === null ? new HttpResponse('plain') : undefined,
        ),
      ),
    ],
    MIDDLEWARE: [WebSocketMiddleware],
  });
});
afterAll(() => served.close());

/** The server still completes an ordinary echo, and nothing was logged as an error. */
async function stillServing(): Promise<void> {
  const client = await connected(`${served.wsUrl}/echo/`);
  await client.send('still here');
  expect(await client.receive()).toBe('still here');
  await client.close(CloseCode.NORMAL);
  expect(served.logger.at('error')).toEqual([]);
}

describe('generated handshakes', () => {
  const validKey = fc.constant(null).map(() => randomBytes(16).toString('base64'));
  const token = fc.stringMatching(/^[a-z0-9.!#$%&'*+^_`|~-]{1,10}$/);
  const junk = fc
    .string({ unit: 'binary-ascii', maxLength: 30 })
    .map((text) => text.replace(/[\r\n\0]/g, ''));
  const header = (...options: Array<fc.Arbitrary<string | null>>) => fc.oneof(...options);

  it('get a 101 or a 400/403/426, never a 500, and at most one 101', async () => {
    const changes = fc.record({
      'Sec-WebSocket-Key': header(validKey, junk, fc.constant(null)),
      'Sec-WebSocket-Version': header(
        fc.constant('13'),
        fc.constantFrom('8', '14', '', 'thirteen'),
        fc.constant(null),
      ),
      Upgrade: header(fc.constant('websocket'), fc.constantFrom('WebSocket', 'h2c', ''), fc.constant(null)),
      Connection: header(
        fc.constant('Upgrade'),
        fc.constantFrom('keep-alive, Upgrade', 'close'),
        fc.constant(null),
      ),
      'Sec-WebSocket-Protocol': header(fc.constant(null), token, junk),
      'Sec-WebSocket-Extensions': header(fc.constant(null), fc.constant('permessage-deflate'), junk),
      Origin: header(
        fc.constant(null),
        fc.constant('http://127.0.0.1'),
        fc.constant('https://evil.example'),
        junk,
      ),
    });
    await fc.assert(
      fc.asyncProperty(changes, fc.constantFrom('GET', 'POST', 'PUT'), async (headers, method) => {
        const result = await rawHandshake(
          served.port,
          handshakeLines('/bye/', served.port, headers, method),
          {
            windowMs: 2000,
          },
        );
        expect([101, 200, 400, 403, 426]).toContain(result.status);
        expect(result.switchingCount).toBeLessThanOrEqual(1);
        if (result.status === 101) expect(closeCodeOf(result.frames.at(-1)!)).toBe(CloseCode.NORMAL);
      }),
      { numRuns: 80 },
    );
    await stillServing();
  });
});

describe('generated frame sequences after a valid handshake', () => {
  const frame = fc
    .record({
      opcode: fc.oneof(
        fc.constantFrom(Opcode.TEXT, Opcode.BINARY, 0x0, Opcode.PING, Opcode.PONG),
        fc.integer({ min: 3, max: 7 }),
        fc.integer({ min: 11, max: 15 }),
      ),
      fin: fc.boolean(),
      payload: fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => Buffer.from(text, 'utf8')),
        fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
      ),
    })
    .map(({ opcode, fin, payload }) => clientFrame(opcode, payload, fin));

  it('end with a protocol close code (1000, 1002, 1007), never 1011, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 6 }), async (frames) => {
        const after = Buffer.concat([...frames, clientFrame(Opcode.CLOSE, closePayload(CloseCode.NORMAL))]);
        const result = await rawHandshake(served.port, handshakeLines('/echo/', served.port), {
          after,
          windowMs: 2000,
        });
        expect(result.status).toBe(101);
        expect(result.unparsed.length).toBe(0);
        const close = result.frames.find((candidate) => candidate.opcode === Opcode.CLOSE);
        expect(close).toBeDefined();
        expect([1000, 1002, 1007]).toContain(closeCodeOf(close!));
      }),
      { numRuns: 60 },
    );
    await stillServing();
  });
});
