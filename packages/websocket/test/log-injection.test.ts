import { HttpResponse, path, type HttpRequest } from '@manouche/core';
import { acceptWebsocket, CloseCode, requireWebsocket, WebSocketMiddleware } from '@manouche/websocket';
import { clientFrame, handshakeLines, Opcode, rawHandshake } from './support/raw';
import { delay, serve, until, type MemoryLogger, type Served } from './support/serve';
import { connected } from './support/ws-client';

// The WebSocket package's log lines quote the request path, the Origin and the reasons built from
// them: each is escaped, so a client can't forge a line or drive the terminal showing the log.

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A forged line, a colour escape, NUL, DEL, C1 controls and separators. */
const FORGED = '\r\n[FORGED] Internal Server Error: /admin/\x1b[31m\x00\x7f\u0085\u009b\u2028\u202e';
/** Without LF, for paths that must still resolve (`<path:...>` refuses a newline, as in Django). */
const FORGED_NO_LF = FORGED.replace('\n', '');
/** How FORGED_NO_LF reads in a line: the same characters, escaped. */
const LOGGED_NO_LF = String.raw`\r[FORGED] Internal Server Error: /admin/\x1b[31m\x00\x7f\x85\x9b\u2028\u202e`;

/** An Origin header with C1 bytes, which Node's parser lets through (as latin1). */
const FORGED_ORIGIN = 'http://evil.example\x9b31m\x85';

async function holdOpen(request: HttpRequest): Promise<void> {
  for await (const _message of request.websocket!) {
    // Reads until the peer leaves.
  }
}

/** The one line logged since `before`, checked to carry no raw control character. */
async function oneEscapedLine(logger: MemoryLogger, before: number): Promise<string> {
  await until(() => logger.lines.length > before);
  await delay(50); // a second line, if any, would come in this window
  const lines = logger.messages().slice(before);
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(RAW_CONTROL);
  return lines[0]!;
}

describe('WebSocket log lines quote client input escaped, one line each', () => {
  let served: Served;
  let before: number;

  beforeAll(async () => {
    served = await serve({
      MIDDLEWARE: [WebSocketMiddleware],
      WEBSOCKET_PING_INTERVAL: 20,
      ROOT_URLCONF: [
        path('ws/<path:rest>', acceptWebsocket(holdOpen)),
        path(
          'late/<path:rest>',
          acceptWebsocket(async (request: HttpRequest) => {
            await request.websocket!.wait(); // null: the client left
            await request.websocket!.send('too late'); // WebSocketClosed escapes the view: 499
          }),
        ),
        path(
          'need/<path:rest>',
          requireWebsocket(() => new HttpResponse('never')),
        ),
        path('<path:rest>', () => new HttpResponse('plain')),
      ],
    });
  });
  afterAll(() => served.close());
  beforeEach(() => {
    before = served.logger.lines.length;
  });

  it('escapes the path in a handshake refused by the middleware (no Connection: upgrade)', async () => {
    const lines = handshakeLines(`/${encodeURIComponent(FORGED)}`, served.port, { Connection: null });
    const result = await rawHandshake(served.port, lines);
    expect(result.status).toBe(400);
    const line = await oneEscapedLine(served.logger, before);
    expect(line).toBe(
      String.raw`Bad Request: WebSocket handshake to /\r\n[FORGED] Internal Server Error: /admin/\x1b[31m\x00\x7f\x85\x9b\u2028\u202e refused: the Connection header must contain "upgrade"`,
    );
  });

  it('escapes the path and the Origin in a handshake refused for its origin', async () => {
    const lines = handshakeLines(`/ws/${encodeURIComponent(FORGED_NO_LF)}`, served.port, {
      Origin: FORGED_ORIGIN,
    });
    const result = await rawHandshake(served.port, lines);
    expect(result.status).toBe(403);
    const line = await oneEscapedLine(served.logger, before);
    expect(line).toMatch(/^Forbidden: WebSocket handshake to \/ws\/\\r\[FORGED\] /);
    // The test writes the head as UTF-8, so each C1 byte arrives after a U+00C2 (Node reads latin1).
    expect(line).toMatch(/origin "http:\/\/evil\.example\u00c2\\x9b31m\u00c2\\x85" is not /);
  });

  it('escapes the path when a plain request reaches a view that requires a WebSocket', async () => {
    const response = await fetch(`${served.url}/need/${encodeURIComponent(FORGED_NO_LF)}`);
    expect(response.status).toBe(400);
    const line = await oneEscapedLine(served.logger, before);
    expect(line).toBe(`Bad Request: /need/${LOGGED_NO_LF} requires a WebSocket; a plain GET request got 400`);
  });

  it('escapes the path when the peer breaks the protocol (invalid UTF-8)', async () => {
    const lines = handshakeLines(`/ws/${encodeURIComponent(FORGED_NO_LF)}`, served.port);
    const result = await rawHandshake(served.port, lines, {
      after: clientFrame(Opcode.TEXT, Buffer.from([0xff, 0xfe])),
    });
    expect(result.status).toBe(101);
    const line = await oneEscapedLine(served.logger, before);
    expect(line).toMatch(new RegExp(`^WebSocket /ws/${escapeRegExp(LOGGED_NO_LF)}: .*UTF-8`));
  });

  it('escapes the path when a peer that never answers pings is closed', async () => {
    // A raw client answers no ping: after two silent intervals (20 ms each) the server gives up.
    const lines = handshakeLines(`/ws/${encodeURIComponent(FORGED_NO_LF)}`, served.port);
    const result = await rawHandshake(served.port, lines, { windowMs: 5000 });
    expect(result.status).toBe(101);
    const line = await oneEscapedLine(served.logger, before);
    expect(line).toBe(`WebSocket /ws/${LOGGED_NO_LF}: peer silent for 40 ms, closing with 1001`);
  });

  it('escapes the path in the 499 warning of a send after the peer left', async () => {
    const client = await connected(`${served.wsUrl}/late/${encodeURIComponent(FORGED_NO_LF)}`);
    await client.close(CloseCode.NORMAL);
    const line = await oneEscapedLine(served.logger, before);
    expect(line).toBe(
      `Client Closed Request: /late/${LOGGED_NO_LF} (Cannot send on a WebSocket that is closed (code 1000))`,
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
