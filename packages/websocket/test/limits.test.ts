import { path, type HttpRequest, type Settings } from '@manouche/core';
import { acceptWebsocket, CloseCode } from '@manouche/websocket';
import { clientFrame, closeCodeOf, handshakeLines, Opcode, rawHandshake } from './support/raw';
import { delay, serve, until, type Served } from './support/serve';
import { connect, connected } from './support/ws-client';

const MIB = 1024 * 1024;

/** Answers each message with `<kind> <length>` (text or binary) and its first bytes. */
async function measure(request: HttpRequest): Promise<void> {
  const ws = request.websocket!;
  for await (const message of ws) {
    const [kind, preview] =
      typeof message === 'string'
        ? ['text', message.slice(0, 16)]
        : ['binary', message.subarray(0, 16).toString()];
    await ws.send(`${kind} ${Buffer.byteLength(message)} ${preview}`);
  }
}

let served: Served | null = null;
async function start(settings: Partial<Settings> = {}): Promise<Served> {
  served = await serve({ ROOT_URLCONF: [path('measure/', acceptWebsocket(measure))], ...settings });
  return served;
}
afterEach(async () => {
  await served?.close();
  served = null;
});

describe('WEBSOCKET_MAX_MESSAGE_SIZE', () => {
  it('accepts a message of exactly 1 MiB by default', async () => {
    const { wsUrl } = await start();
    const client = await connected(`${wsUrl}/measure/`);
    await client.send(Buffer.alloc(MIB, 'a'));
    expect(await client.receive()).toBe(`binary ${MIB} aaaaaaaaaaaaaaaa`);
    await client.close(CloseCode.NORMAL);
  });

  it('closes with 1009 on a message of 1 MiB + 1 byte, logs one line, and keeps serving', async () => {
    const { wsUrl, logger } = await start();
    const bystander = await connected(`${wsUrl}/measure/`);
    const client = await connected(`${wsUrl}/measure/`);
    await client.send(Buffer.alloc(MIB + 1, 'a')).catch(() => undefined);
    expect((await client.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    await until(() => logger.lines.length > 0);
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(/^WebSocket \/measure\/: .*WS_ERR_UNSUPPORTED_MESSAGE_LENGTH/),
      },
    ]);
    // The other connection is untouched, and new ones are served.
    await bystander.send('still here');
    expect(await bystander.receive()).toBe('text 10 still here');
    const next = await connected(`${wsUrl}/measure/`);
    await next.send('hello');
    expect(await next.receive()).toBe('text 5 hello');
    await Promise.all([bystander.close(CloseCode.NORMAL), next.close(CloseCode.NORMAL)]);
  });

  it('follows the setting', async () => {
    const { wsUrl } = await start({ WEBSOCKET_MAX_MESSAGE_SIZE: 10 });
    const client = await connected(`${wsUrl}/measure/`);
    await client.send('0123456789');
    expect(await client.receive()).toBe('text 10 0123456789');
    await client.send('0123456789X');
    expect((await client.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it('counts every fragment of a message towards the limit', async () => {
    const { wsUrl } = await start({ WEBSOCKET_MAX_MESSAGE_SIZE: 10 });
    const client = await connect(`${wsUrl}/measure/`);
    await client.send('012345', { fin: false });
    await client.send('6789X', { fin: true });
    expect((await client.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });
});

describe('fragmented messages', () => {
  it('arrive as one text message', async () => {
    const { wsUrl } = await start();
    const client = await connect(`${wsUrl}/measure/`);
    await client.send('hél', { fin: false });
    await client.send('lo ', { fin: false });
    await client.send('✓', { fin: true });
    expect(await client.nextText()).toBe(`text ${Buffer.byteLength('héllo ✓')} héllo ✓`);
    await client.close(CloseCode.NORMAL);
  });

  it('arrive as one binary message', async () => {
    const { wsUrl } = await start();
    const client = await connect(`${wsUrl}/measure/`);
    await client.send(Buffer.from('abc'), { binary: true, fin: false });
    await client.send(Buffer.from('def'), { binary: true, fin: true });
    expect(await client.nextText()).toBe('binary 6 abcdef');
    await client.close(CloseCode.NORMAL);
  });
});

describe('control frames from the client', () => {
  it('unsolicited pings are answered and unsolicited pongs ignored; the connection stays open', async () => {
    const { wsUrl, logger } = await start();
    const client = await connect(`${wsUrl}/measure/`);
    const pong = new Promise<Buffer>((resolve) => client.ws.once('pong', resolve));
    client.ws.ping(Buffer.from('are you there'));
    expect((await pong).toString()).toBe('are you there');
    client.ws.pong(Buffer.from('unasked'));
    await client.send('after');
    expect(await client.nextText()).toBe('text 5 after');
    expect((await client.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
    expect(logger.lines).toEqual([]);
  });
});

describe('invalid frames from the client', () => {
  it.each([
    [
      'invalid UTF-8 in a text message',
      clientFrame(Opcode.TEXT, Buffer.from([0x68, 0xff, 0x69])),
      CloseCode.INVALID_PAYLOAD,
    ],
    ['an unmasked frame', Buffer.from([0x81, 0x02, 0x68, 0x69]), CloseCode.PROTOCOL_ERROR],
  ])('%s closes the connection with %s, one log line and no 500', async (_, frame, code) => {
    const { port, logger } = await start();
    const result = await rawHandshake(port, handshakeLines('/measure/', port), { after: frame });
    expect(result.status).toBe(101);
    const close = result.frames.find((candidate) => candidate.opcode === Opcode.CLOSE);
    expect(close && closeCodeOf(close)).toBe(code);
    expect(result.unparsed.length).toBe(0);
    await until(() => logger.lines.length > 0);
    expect(logger.lines).toEqual([
      { level: 'warn', message: expect.stringMatching(/^WebSocket \/measure\/: /) },
    ]);
  });
});

describe('WEBSOCKET_PING_INTERVAL', () => {
  it('closes a peer that never answers pings with a close frame carrying 1001', async () => {
    const { wsUrl, logger } = await start({ WEBSOCKET_PING_INTERVAL: 100 });
    const client = await connect(`${wsUrl}/measure/`, { autoPong: false });
    let pings = 0;
    client.ws.on('ping', () => pings++);
    // 1006 would mean a bare teardown; 1001 means the server sent a close frame.
    expect((await client.closed).code).toBe(CloseCode.GOING_AWAY);
    expect(pings).toBeGreaterThan(0);
    expect(logger.lines).toEqual([
      { level: 'warn', message: 'WebSocket /measure/: peer silent for 200 ms, closing with 1001' },
    ]);
  });

  it('keeps a peer that answers pings', async () => {
    const { wsUrl, logger } = await start({ WEBSOCKET_PING_INTERVAL: 50 });
    const client = await connect(`${wsUrl}/measure/`);
    let pings = 0;
    client.ws.on('ping', () => pings++);
    await until(() => pings >= 5);
    await client.send('alive');
    expect(await client.nextText()).toBe('text 5 alive');
    expect((await client.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
    expect(logger.lines).toEqual([]);
  });

  it('sends no pings when 0', async () => {
    const { wsUrl } = await start({ WEBSOCKET_PING_INTERVAL: 0 });
    const client = await connect(`${wsUrl}/measure/`, { autoPong: false });
    let pings = 0;
    client.ws.on('ping', () => pings++);
    await delay(200);
    await client.send('quiet');
    expect(await client.nextText()).toBe('text 5 quiet');
    expect(pings).toBe(0);
    await client.close(CloseCode.NORMAL);
  });
});

describe('WEBSOCKET_PER_MESSAGE_DEFLATE', () => {
  it('is off by default: permessage-deflate is not negotiated', async () => {
    const { wsUrl } = await start();
    const client = await connect(`${wsUrl}/measure/`, { perMessageDeflate: true });
    expect(client.ws.extensions).toBe('');
    await client.close(CloseCode.NORMAL);
  });

  it('true: permessage-deflate is negotiated and messages round-trip', async () => {
    const { wsUrl } = await start({ WEBSOCKET_PER_MESSAGE_DEFLATE: true });
    const client = await connect(`${wsUrl}/measure/`, { perMessageDeflate: true });
    expect(client.ws.extensions).toContain('permessage-deflate');
    await client.send('x'.repeat(100_000));
    expect(await client.nextText()).toBe(`text 100000 ${'x'.repeat(16)}`);
    await client.close(CloseCode.NORMAL);
  });

  it('true: a client that does not offer it still connects', async () => {
    const { wsUrl } = await start({ WEBSOCKET_PER_MESSAGE_DEFLATE: true });
    const client = await connect(`${wsUrl}/measure/`, { perMessageDeflate: false });
    expect(client.ws.extensions).toBe('');
    await client.send('plain');
    expect(await client.nextText()).toBe('text 5 plain');
    await client.close(CloseCode.NORMAL);
  });
});
