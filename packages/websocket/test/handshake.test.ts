import { createHash } from 'node:crypto';
import {
  HttpResponse,
  MiddlewareMixin,
  path,
  type Http1UpgradeContext,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { acceptWebsocket, CloseCode, WebSocketMiddleware } from '@manouche/websocket';
import { overrideSettings } from '@manouche/testing';
import {
  clientFrame,
  closeCodeOf,
  handshakeLines,
  Opcode,
  rawHandshake,
  type RawResult,
} from './support/raw';
import { serve, type Served } from './support/serve';
import { connect, connected } from './support/ws-client';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

async function echo(request: HttpRequest): Promise<HttpResponse | void> {
  const ws = request.websocket;
  if (ws === null) return new HttpResponse('plain');
  for await (const message of ws) await ws.send(message);
}

/** Echoes one message, then returns: the connection closes with 1000. */
async function echoOnce(request: HttpRequest): Promise<void> {
  const ws = request.websocket!;
  const message = await ws.wait();
  if (message !== null) await ws.send(message);
}

/** What the view sees of Node's parsed handshake once the 101 is written: nothing (it was let go). */
async function handshakeKept(request: HttpRequest): Promise<void> {
  const upgrade = request.upgrade as Http1UpgradeContext;
  await request.websocket!.send(
    JSON.stringify({ upgraded: upgrade.upgraded, kept: upgrade.handshake !== null }),
  );
}

const routes = [
  path('handshake-kept/', acceptWebsocket(handshakeKept)),
  path('echo/', acceptWebsocket(echo)),
  path('echo-once/', acceptWebsocket(echoOnce)),
  // Accepts and returns at once: a raw client sees the 101 and a close frame, then the end.
  path(
    'ok/',
    acceptWebsocket(async () => undefined),
  ),
];

/** The header value of `name` in a raw response head, or null. */
function headerOf(result: RawResult, name: string): string | null {
  const line = result.head
    .split('\r\n')
    .find((entry) => entry.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line === undefined ? null : line.slice(line.indexOf(':') + 1).trim();
}

describe.each([
  ['with WebSocketMiddleware', { MIDDLEWARE: [WebSocketMiddleware] }],
  ['with WebSocketMiddleware in MIDDLEWARE_CLASSES', { MIDDLEWARE_CLASSES: [WebSocketMiddleware] }],
  ['decorator only', {}],
] as Array<[string, Partial<Settings>]>)('the opening handshake (%s)', (_, stackSettings) => {
  let served: Served;
  let port: number;

  beforeAll(async () => {
    served = await serve({ ROOT_URLCONF: routes, ...stackSettings });
    port = served.port;
  });
  afterAll(() => served.close());
  beforeEach(() => served.logger.lines.splice(0));

  /** Exactly one warning about `/echo/` matching `pattern`, and no error line. */
  function expectOneWarning(pattern: RegExp): void {
    expect(served.logger.at('error')).toEqual([]);
    expect(served.logger.lines).toHaveLength(1);
    expect(served.logger.lines[0]!.level).toBe('warn');
    expect(served.logger.lines[0]!.message).toMatch(pattern);
  }

  describe('accepted', () => {
    it('answers 101 with the right Sec-WebSocket-Accept and then only WebSocket frames', async () => {
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      const result = await rawHandshake(
        port,
        handshakeLines('/echo-once/', port, { 'Sec-WebSocket-Key': key }),
        {
          after: clientFrame(Opcode.TEXT, Buffer.from('héllo ✓')),
        },
      );
      expect(result.status).toBe(101);
      expect(result.switchingCount).toBe(1);
      expect(headerOf(result, 'Sec-WebSocket-Accept')).toBe(
        createHash('sha1')
          .update(key + WEBSOCKET_GUID)
          .digest('base64'),
      );
      expect(headerOf(result, 'Upgrade')?.toLowerCase()).toBe('websocket');
      expect(result.unparsed.length).toBe(0);
      expect(result.frames.map((frame) => frame.opcode)).toEqual([Opcode.TEXT, Opcode.CLOSE]);
      expect(result.frames[0]!.payload.toString('utf8')).toBe('héllo ✓');
      expect(closeCodeOf(result.frames[1]!)).toBe(CloseCode.NORMAL);
      expect(result.rest.includes('HTTP/')).toBe(false);
      expect(result.ended).toBe(true);
      expect(served.logger.lines).toEqual([]);
    });

    it('lets go of the parsed handshake once the 101 is written, so a long-lived connection does not keep it', async () => {
      const result = await rawHandshake(port, handshakeLines('/handshake-kept/', port));
      expect(result.status).toBe(101);
      expect(JSON.parse(result.frames[0]!.payload.toString('utf8'))).toEqual({ upgraded: true, kept: false });
    });

    it('takes header tokens in any case and in lists (Connection: keep-alive, Upgrade)', async () => {
      const result = await rawHandshake(
        port,
        handshakeLines('/ok/', port, { Upgrade: 'WebSocket', Connection: 'keep-alive, Upgrade' }),
      );
      expect(result.status).toBe(101);
      expect(result.switchingCount).toBe(1);
    });

    it('allows a request without Origin', async () => {
      const result = await rawHandshake(port, handshakeLines('/ok/', port, { Origin: null }));
      expect(result.status).toBe(101);
    });

    it.each([
      ['the site’s own origin', (p: number) => `http://127.0.0.1:${p}`],
      ['the site’s own origin in capitals', (p: number) => `HTTP://127.0.0.1:${p}`],
    ])('allows %s', async (_, origin) => {
      const result = await rawHandshake(port, handshakeLines('/ok/', port, { Origin: origin(port) }));
      expect(result.status).toBe(101);
    });
  });

  describe('refused, never with a 500', () => {
    it('answers a POST with WebSocket headers with 400', async () => {
      const result = await rawHandshake(
        port,
        handshakeLines('/echo/', port, { 'Content-Length': '0' }, 'POST'),
      );
      expect(result.status).toBe(400);
      expect(result.switchingCount).toBe(0);
      expect(result.ended).toBe(true);
      expectOneWarning(/^Bad Request: WebSocket handshake to \/echo\/ refused: .*GET, not POST/);
    });

    it('answers a missing Sec-WebSocket-Key with 400', async () => {
      const result = await rawHandshake(port, handshakeLines('/echo/', port, { 'Sec-WebSocket-Key': null }));
      expect(result.status).toBe(400);
      expect(result.switchingCount).toBe(0);
      expectOneWarning(/^Bad Request: .*Sec-WebSocket-Key/);
    });

    it.each([
      'short',
      'dGhlIHNhbXBsZSBub25jZQ',
      'dGhlIHNhbXBsZSBub25jZQ==x',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '!!!!!!!!!!!!!!!!!!!!!!==',
    ])('answers the invalid Sec-WebSocket-Key %j with 400', async (key) => {
      const result = await rawHandshake(port, handshakeLines('/echo/', port, { 'Sec-WebSocket-Key': key }));
      expect(result.status).toBe(400);
      expect(result.switchingCount).toBe(0);
      expectOneWarning(/^Bad Request: .*Sec-WebSocket-Key/);
    });

    it.each([['keep-alive'], ['close'], [null]])(
      'answers Connection: %s (no "upgrade") with 400',
      async (connection) => {
        const result = await rawHandshake(port, handshakeLines('/echo/', port, { Connection: connection }));
        expect(result.status).toBe(400);
        expect(result.switchingCount).toBe(0);
        expectOneWarning(/^Bad Request: .*Connection/);
      },
    );

    it('answers Sec-WebSocket-Version 8 with 426 and Sec-WebSocket-Version: 13', async () => {
      const result = await rawHandshake(
        port,
        handshakeLines('/echo/', port, { 'Sec-WebSocket-Version': '8' }),
      );
      expect(result.status).toBe(426);
      expect(headerOf(result, 'Sec-WebSocket-Version')).toBe('13');
      expect(result.switchingCount).toBe(0);
      expectOneWarning(/^Upgrade Required: .*Sec-WebSocket-Version/);
    });

    it('answers a missing Sec-WebSocket-Version with 426 and Sec-WebSocket-Version: 13', async () => {
      const result = await rawHandshake(
        port,
        handshakeLines('/echo/', port, { 'Sec-WebSocket-Version': null }),
      );
      expect(result.status).toBe(426);
      expect(headerOf(result, 'Sec-WebSocket-Version')).toBe('13');
    });

    it.each([
      'http://evil.example',
      'https://localhost.evil.example',
      'null',
      'not a url',
      // The same host on another port, or another scheme, or another allowed host, is another site.
      'http://127.0.0.1:9999',
      'http://localhost:3000',
      'http://[::1]:8080',
      'https://127.0.0.1',
    ])('answers Origin %s (not the site’s own: scheme, host and port) with 403', async (origin) => {
      const result = await rawHandshake(port, handshakeLines('/echo/', port, { Origin: origin }));
      expect(result.status).toBe(403);
      expect(result.switchingCount).toBe(0);
      expect(result.ended).toBe(true);
      expectOneWarning(/^Forbidden: WebSocket handshake to \/echo\/ refused: origin/);
    });

    it.each([
      ['Sec-WebSocket-Protocol', 'chat v1'],
      ['Sec-WebSocket-Protocol', 'a,,b'],
      ['Upgrade', 'websocket, h2c'],
    ])('answers a malformed %s header (%j) with 400', async (name, value) => {
      const result = await rawHandshake(port, handshakeLines('/echo/', port, { [name]: value }));
      expect(result.status).toBe(400);
      expect(result.switchingCount).toBe(0);
      expect(result.ended).toBe(true);
      expectOneWarning(/^Bad Request: WebSocket handshake to \/echo\/ refused: Invalid/);
    });

    it('answers a Host outside ALLOWED_HOSTS with 400', async () => {
      const result = await rawHandshake(port, handshakeLines('/echo/', port, { Host: 'evil.example' }));
      expect(result.status).toBe(400);
      expect(result.switchingCount).toBe(0);
      expect(served.logger.at('error')).toEqual([]);
    });

    it('keeps serving HTTP and WebSockets after bad handshakes', async () => {
      await rawHandshake(port, handshakeLines('/echo/', port, { 'Sec-WebSocket-Key': 'bad' }));
      await rawHandshake(port, handshakeLines('/echo/', port, { 'Sec-WebSocket-Version': '8' }));
      await rawHandshake(port, handshakeLines('/echo/', port, { Origin: 'http://evil.example' }));
      const response = await fetch(`${served.url}/echo/`);
      expect(await response.text()).toBe('plain');
      const client = await connected(`${served.wsUrl}/echo/`);
      await client.send('still here');
      expect(await client.receive()).toBe('still here');
      expect((await client.close(CloseCode.NORMAL)).code).toBe(CloseCode.NORMAL);
    });
  });
});

describe('Sec-WebSocket-Extensions with WEBSOCKET_PER_MESSAGE_DEFLATE', () => {
  it('answers a malformed offer with 400 and one log line', async () => {
    const served = await serve({ ROOT_URLCONF: routes, WEBSOCKET_PER_MESSAGE_DEFLATE: true });
    try {
      const result = await rawHandshake(
        served.port,
        handshakeLines('/ok/', served.port, {
          'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits=99',
        }),
      );
      expect(result.status).toBe(400);
      expect(result.switchingCount).toBe(0);
      expect(served.logger.lines).toEqual([
        { level: 'warn', message: expect.stringMatching(/^Bad Request: .*Sec-WebSocket-Extensions/) },
      ]);
      // The bespoke client: WebSocketTestClient does not show the negotiated extensions.
      const client = await connect(`${served.wsUrl}/ok/`);
      expect(client.ws.extensions).toContain('permessage-deflate');
      expect((await client.closed).code).toBe(CloseCode.NORMAL);
    } finally {
      await served.close();
    }
  });
});

describe('Origin checks', () => {
  async function statusFor(settings: Partial<Settings>, origin: string, host?: string): Promise<number> {
    const served = await serve({ ROOT_URLCONF: routes, ...settings });
    try {
      const changes: Record<string, string> = { Origin: origin };
      if (host !== undefined) changes.Host = host;
      return (await rawHandshake(served.port, handshakeLines('/ok/', served.port, changes))).status;
    } finally {
      await served.close();
    }
  }

  it('allows only the site’s own origin by default: the same scheme, host and port as the request', async () => {
    const settings = { ALLOWED_HOSTS: ['.example.com'] };
    expect(await statusFor(settings, 'http://example.com', 'example.com')).toBe(101);
    expect(await statusFor(settings, 'http://example.com:80', 'example.com')).toBe(101);
    expect(await statusFor(settings, 'http://example.com:8000', 'example.com:8000')).toBe(101);
    // Another port of the same host (another server on the machine) is another origin.
    expect(await statusFor(settings, 'http://example.com:3000', 'example.com:8000')).toBe(403);
    expect(await statusFor(settings, 'https://example.com:8443', 'example.com')).toBe(403);
    // So is another host, even one ALLOWED_HOSTS allows.
    expect(await statusFor(settings, 'http://chat.example.com', 'example.com')).toBe(403);
    expect(await statusFor(settings, 'https://example.org', 'example.com')).toBe(403);
  });

  it('takes the scheme from isSecure(): https behind a proxy that says so', async () => {
    const served = await serve({
      ROOT_URLCONF: routes,
      ALLOWED_HOSTS: ['example.com'],
      SECURE_PROXY_SSL_HEADER: ['X-Forwarded-Proto', 'https'],
    });
    try {
      const status = async (origin: string, proto: string): Promise<number> => {
        const changes = { Origin: origin, Host: 'example.com', 'X-Forwarded-Proto': proto };
        return (await rawHandshake(served.port, handshakeLines('/ok/', served.port, changes))).status;
      };
      expect(await status('https://example.com', 'https')).toBe(101);
      expect(await status('http://example.com', 'https')).toBe(403);
      expect(await status('http://example.com', 'http')).toBe(101);
    } finally {
      await served.close();
    }
  });

  it("allows no other origin when ALLOWED_HOSTS is '*' and WEBSOCKET_ALLOWED_ORIGINS is unset", async () => {
    expect(await statusFor({ ALLOWED_HOSTS: ['*'] }, 'https://anything.example')).toBe(403);
    expect(await statusFor({ ALLOWED_HOSTS: ['*'] }, 'http://anything.example', 'anything.example')).toBe(
      101,
    );
  });

  it('allows exactly the origins WEBSOCKET_ALLOWED_ORIGINS lists', async () => {
    const settings = { WEBSOCKET_ALLOWED_ORIGINS: ['https://app.example', 'http://localhost:3000'] };
    expect(await statusFor(settings, 'https://app.example')).toBe(101);
    expect(await statusFor(settings, 'HTTPS://APP.EXAMPLE')).toBe(101);
    expect(await statusFor(settings, 'http://localhost:3000')).toBe(101);
    expect(await statusFor(settings, 'http://app.example')).toBe(403);
    expect(await statusFor(settings, 'https://app.example:444')).toBe(403);
    // The list replaces the ALLOWED_HOSTS check: a local origin not in it is refused.
    expect(await statusFor(settings, 'http://localhost:4000')).toBe(403);
  });

  it("allows every origin with WEBSOCKET_ALLOWED_ORIGINS ['*']", async () => {
    expect(await statusFor({ WEBSOCKET_ALLOWED_ORIGINS: ['*'] }, 'https://anything.example')).toBe(101);
    expect(await statusFor({ WEBSOCKET_ALLOWED_ORIGINS: ['*'] }, 'null')).toBe(101);
  });

  it('refuses every origin with an empty WEBSOCKET_ALLOWED_ORIGINS, but still allows no Origin', async () => {
    expect(await statusFor({ WEBSOCKET_ALLOWED_ORIGINS: [] }, 'http://localhost')).toBe(403);
    const served = await serve({ ROOT_URLCONF: routes, WEBSOCKET_ALLOWED_ORIGINS: [] });
    try {
      const client = await connected(`${served.wsUrl}/echo/`);
      await client.close(CloseCode.NORMAL);
    } finally {
      await served.close();
    }
  });

  it('reads the setting per handshake', async () => {
    const served = await serve({ ROOT_URLCONF: routes });
    try {
      const lines = (): string[] => handshakeLines('/ok/', served.port, { Origin: 'https://app.example' });
      const status = async (): Promise<number> => (await rawHandshake(served.port, lines())).status;
      expect(await status()).toBe(403);
      const patch = { WEBSOCKET_ALLOWED_ORIGINS: ['https://app.example'] };
      expect(await overrideSettings(served.app, patch, status)).toBe(101);
      expect(await status()).toBe(403);
    } finally {
      await served.close();
    }
  });
});

describe('request.isWebsocket(), the one test of "is this a handshake"', () => {
  /** The cases a middleware saw as plain HTTP, by their X-Case header. */
  const seenAsPlain: string[] = [];

  /** A middleware that does its plain-HTTP work (here: noting the case) on all but WebSocket requests. */
  class SkipsWebsockets extends MiddlewareMixin {
    override processRequest(request: HttpRequest): null {
      if (!request.isWebsocket()) seenAsPlain.push(request.headers.get('x-case')!);
      return null;
    }
  }

  /** Plain HTTP gets a body; an accepted WebSocket closes at once with 1000. */
  async function plainOrClose(request: HttpRequest): Promise<HttpResponse | void> {
    if (request.websocket === null) return new HttpResponse('plain');
  }

  // [case, method, header changes to a valid handshake]
  const cases: Array<[string, string, Record<string, string | null>]> = [
    ['valid', 'GET', {}],
    ['Upgrade in capitals', 'GET', { Upgrade: 'WebSocket' }],
    ['Upgrade token list', 'GET', { Upgrade: 'h2c, websocket' }],
    ['POST', 'POST', { 'Content-Length': '0' }],
    ['PUT', 'PUT', { 'Content-Length': '0' }],
    ['no Sec-WebSocket-Key', 'GET', { 'Sec-WebSocket-Key': null }],
    ['version 8', 'GET', { 'Sec-WebSocket-Version': '8' }],
    ['no Connection: upgrade', 'GET', { Connection: 'keep-alive' }],
    ['Upgrade: h2c', 'GET', { Upgrade: 'h2c' }],
    ['no Upgrade', 'GET', { Upgrade: null }],
  ];

  it('lets a middleware that skips them skip exactly the requests the package upgrades or refuses', async () => {
    const served = await serve({
      ROOT_URLCONF: [path('either/', acceptWebsocket(plainOrClose))],
      MIDDLEWARE: [SkipsWebsockets, WebSocketMiddleware],
    });
    try {
      const outcomes: Record<string, 'upgraded' | 'refused' | 'plain' | 'other'> = {};
      for (const [name, method, changes] of cases) {
        served.logger.lines.splice(0);
        const lines = handshakeLines('/either/', served.port, { ...changes, 'X-Case': name }, method);
        const result = await rawHandshake(served.port, lines);
        const refused = served.logger.lines.some((line) =>
          /handshake to \/either\/ refused/.test(line.message),
        );
        if (result.status === 101) outcomes[name] = 'upgraded';
        else if (refused) outcomes[name] = 'refused';
        else if (result.status === 200 && result.rest.toString('utf8') === 'plain') outcomes[name] = 'plain';
        else outcomes[name] = 'other';
      }
      expect(outcomes).toEqual({
        valid: 'upgraded',
        'Upgrade in capitals': 'upgraded',
        'Upgrade token list': 'refused', // by ws: it wants Upgrade to be exactly websocket
        POST: 'refused',
        PUT: 'refused',
        'no Sec-WebSocket-Key': 'refused',
        'version 8': 'refused',
        'no Connection: upgrade': 'refused',
        'Upgrade: h2c': 'plain',
        'no Upgrade': 'plain',
      });
      // The middleware did its plain-HTTP work on exactly the requests the package left alone.
      const plain = Object.keys(outcomes).filter((name) => outcomes[name] === 'plain');
      expect(seenAsPlain).toEqual(plain);
    } finally {
      await served.close();
    }
  });
});
