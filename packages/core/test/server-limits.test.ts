import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApp, HttpResponse, ImproperlyConfigured, JsonResponse, path } from '@manouche/core';
import { multipartBody, MULTIPART_TYPE } from './support/multipart';
import { rawExchange, until, type RawResponse } from './support/raw-http';
import { serve, type Served } from './support/serve';

const LIMIT = 1024;

/** How many requests reached the `count/` view. */
let counted = 0;

const views = [
  path('ok/', () => new HttpResponse('ok')),
  path('count/', (request) => {
    counted++;
    return new HttpResponse(String(request.body.length));
  }),
  path('upload/', (request) => new JsonResponse({ size: request.body.length })),
  path('form/', (request) => new JsonResponse({ files: request.FILES.size })),
];

/** Rejects when `promise` has not settled after `ms`: a bound on a wait, not a timing assertion. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

function head(requestLine: string, headers: Record<string, string | number> = {}): string {
  const lines = [requestLine, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Opens a connection and resolves once it is connected. */
function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with the first bytes the server sends on `socket`. */
function firstData(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => socket.once('data', resolve));
}

/** What arrives on `socket` until the server closes it. */
function untilClosed(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
}

describe('request bodies refused before they are read', () => {
  let served: Served;
  let before: number;

  beforeAll(async () => {
    served = await serve({ DATA_UPLOAD_MAX_MEMORY_SIZE: LIMIT, ROOT_URLCONF: views });
  });
  afterAll(() => served.close());
  beforeEach(() => {
    before = served.logger.lines.length;
  });

  describe('the 413 of an oversized upload reaches a client that is still sending, every time', () => {
    // The client runs in its own process, as a real one does: within one event loop the client
    // reads its socket before the server's close lands, which hides the reset this is about.
    const client = join(__dirname, 'support', 'oversized-upload-client.mjs');
    const tries = 25;

    it.each(['length', 'chunked'])(
      'body framed by %s',
      async (framing) => {
        const { stdout } = await promisify(execFile)(process.execPath, [
          client,
          String(served.port),
          String(tries),
          String(4 * 1024 * 1024),
          framing,
        ]);
        const statusLines = JSON.parse(stdout) as string[];
        expect(statusLines).toEqual(Array(tries).fill('HTTP/1.1 413 Payload Too Large'));
        expect(served.logger.messages().slice(before)).toEqual(
          Array(tries).fill(expect.stringMatching(/^Request Entity Too Large: \/upload\//)),
        );
      },
      30_000,
    );
  });

  describe('Expect: 100-continue', () => {
    it('answers 413 without "100 Continue" when the declared length is over the limit', async () => {
      const response = await within(
        5000,
        rawExchange(
          served.port,
          head('POST /upload/ HTTP/1.1', { 'Content-Length': LIMIT * 100, Expect: '100-continue' }),
        ),
        'the answer to a head expecting 100-continue',
      );
      expect(response.status).toBe(413);
      expect(response.raw.toString('latin1')).not.toContain('100 Continue');
      expect(served.logger.messages().slice(before)).toEqual([
        `Request Entity Too Large: /upload/ (Request body of ${LIMIT * 100} bytes exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (${LIMIT}))`,
      ]);
    });

    it('sends "100 Continue", then reads the body, when it is within the limit', async () => {
      const response = await rawExchange(served.port, (socket) => {
        socket.write(
          head('POST /upload/ HTTP/1.1', {
            'Content-Length': 5,
            Expect: '100-continue',
            Connection: 'close',
          }),
        );
        socket.once('data', (interim: Buffer) => {
          expect(interim.toString('latin1')).toBe('HTTP/1.1 100 Continue\r\n\r\n');
          socket.write('hello');
        });
      });
      const final = response.raw.toString('latin1').split('HTTP/1.1 100 Continue\r\n\r\n')[1]!;
      expect(final).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(final).toMatch(/\{"size":5\}$/);
    });

    it('answers 400 without "100 Continue" for a Host not in ALLOWED_HOSTS', async () => {
      const response = await within(
        5000,
        rawExchange(
          served.port,
          `POST /upload/ HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n`,
        ),
        'the answer for a foreign host',
      );
      expect(response.status).toBe(400);
      expect(response.raw.toString('latin1')).not.toContain('100 Continue');
    });
  });

  it('checks ALLOWED_HOSTS before reading the body: a foreign host is answered 400 with the body unsent', async () => {
    // The body is never sent: the answer can only come from the head.
    const response = await within(
      5000,
      rawExchange(
        served.port,
        `POST /upload/ HTTP/1.1\r\nHost: evil.example\r\nContent-Type: text/plain\r\nContent-Length: ${LIMIT}\r\n\r\n`,
      ),
      'the answer for a foreign host',
    );
    expect(response.status).toBe(400);
    expect(served.logger.messages().slice(before)).toEqual([
      expect.stringMatching(/^Bad Request: \/upload\/ \(Invalid HTTP_HOST header: "evil.example"/),
    ]);
  });

  it('serves nothing pipelined behind a request refused before its body', async () => {
    const refused = head('POST /upload/ HTTP/1.1', { 'Content-Length': LIMIT + 1 });
    const response = await rawExchange(
      served.port,
      `${refused}${'x'.repeat(LIMIT + 1)}GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    );
    expect(response.status).toBe(413);
    expect(response.raw.toString('latin1').match(/HTTP\/1\.1/g)).toHaveLength(1);
  });
});

describe('timeouts and connection limits (settings applied to the Node server)', () => {
  let served: Served;
  let directory: string;
  let before: number;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'manouche-timeouts-test-'));
    served = await serve({
      ROOT_URLCONF: views,
      REQUEST_HEADERS_TIMEOUT: 300,
      REQUEST_TIMEOUT: 600,
      KEEP_ALIVE_TIMEOUT: 100,
      FILE_UPLOAD_MAX_MEMORY_SIZE: 1024,
      FILE_UPLOAD_TEMP_DIR: directory,
    });
  });
  afterAll(async () => {
    await served.close();
    await rm(directory, { recursive: true, force: true });
  });
  beforeEach(() => {
    before = served.logger.lines.length;
  });

  it('answers 408 and closes a connection whose head is not complete within REQUEST_HEADERS_TIMEOUT', async () => {
    const response = await within(
      5000,
      rawExchange(served.port, 'GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
      'the answer to a slow head',
    );
    expect(response.status).toBe(408);
    expect(served.logger.messages().slice(before)).toEqual([
      'Request Timeout: 127.0.0.1 did not send its request head within REQUEST_HEADERS_TIMEOUT (300 ms)',
    ]);
  });

  it('answers 408 and closes a connection whose body is not complete within REQUEST_TIMEOUT', async () => {
    const response = await within(
      5000,
      rawExchange(served.port, head('POST /upload/ HTTP/1.1', { 'Content-Length': 100 }) + 'only part'),
      'the answer to a slow body',
    );
    expect(response.status).toBe(408);
    await until(() => served.logger.lines.length > before);
    expect(served.logger.messages().slice(before)).toEqual([
      'Request Timeout: 127.0.0.1 did not send its whole request within REQUEST_TIMEOUT (600 ms)',
    ]);
  });

  it('never hands a view a body that was completed after its 408', async () => {
    const response = await within(
      5000,
      rawExchange(served.port, (socket) => {
        socket.write(head('POST /count/ HTTP/1.1', { 'Content-Length': 10 }) + 'late');
        socket.once('data', () => socket.write('-arrival'));
      }),
      'the answer to a late body',
    );
    expect(response.status).toBe(408);
    // Whatever came after the 408 was dropped; a request that does reach the view shows up here.
    expect(
      (
        await rawExchange(
          served.port,
          head('POST /count/ HTTP/1.1', { 'Content-Length': 2, Connection: 'close' }) + 'ok',
        )
      ).status,
    ).toBe(200);
    expect(counted).toBe(1);
  });

  it('cuts every stalled upload at REQUEST_TIMEOUT, releasing what it held (memory and temporary files)', async () => {
    // The probe, scaled down: uploads sent nearly whole, then stalled.
    const clients = 20;
    const buffered = Buffer.alloc(200_000, 'b');
    const file = multipartBody([{ name: 'f', filename: 'f.bin', content: Buffer.alloc(300_000, 'f') }]);
    const answers = await within(
      5000,
      Promise.all(
        Array.from({ length: clients }, (_unused, index) =>
          rawExchange(served.port, (socket) => {
            const multipart = index % 2 === 0;
            const length = multipart ? file.length : buffered.length + 1000;
            const type = multipart ? MULTIPART_TYPE : 'application/octet-stream';
            socket.write(head('POST /form/ HTTP/1.1', { 'Content-Type': type, 'Content-Length': length }));
            socket.write(multipart ? file.subarray(0, file.length - 100) : buffered);
          }),
        ),
      ),
      'the answers to stalled uploads',
    );
    expect(answers.map((answer: RawResponse) => answer.status)).toEqual(Array(clients).fill(408));
    await until(() => served.logger.lines.length >= before + clients);
    expect(served.logger.messages().slice(before)).toEqual(
      Array(clients).fill(
        'Request Timeout: 127.0.0.1 did not send its whole request within REQUEST_TIMEOUT (600 ms)',
      ),
    );
    while ((await readdir(directory)).length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT', async () => {
    const response = await within(
      3000,
      rawExchange(served.port, 'GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      'the close of an idle keep-alive connection',
    );
    expect(response.status).toBe(200);
    expect(served.logger.messages().slice(before)).toEqual([]);
  });

  it('refuses REQUEST_HEADERS_TIMEOUT longer than REQUEST_TIMEOUT at createApp', () => {
    expect(() =>
      createApp({ ROOT_URLCONF: [], REQUEST_HEADERS_TIMEOUT: 2000, REQUEST_TIMEOUT: 1000 }),
    ).toThrow(ImproperlyConfigured);
  });
});

describe('MAX_CONNECTIONS', () => {
  it('closes connections past it at once, unanswered, with one log line; a freed slot serves again', async () => {
    const served = await serve({ ROOT_URLCONF: views, MAX_CONNECTIONS: 2 });
    try {
      const held = [await connected(served.port), await connected(served.port)];
      // Answered, so the server has both; they stay open (keep-alive).
      await Promise.all(
        held.map((socket) => {
          const answer = firstData(socket);
          socket.write('GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
          return answer;
        }),
      );
      const refused = await within(
        5000,
        Promise.all([1, 2].map(async () => untilClosed(await connected(served.port)))),
        'the close of connections past MAX_CONNECTIONS',
      );
      expect(refused.map((bytes) => bytes.length)).toEqual([0, 0]);
      expect(served.logger.messages()).toEqual([
        'Too many connections: MAX_CONNECTIONS (2) are open, new ones are closed until one ends',
      ]);
      held[0]!.destroy();
      // The server notices the freed slot a moment after the client closed: ask until it answers.
      const served200 = async (): Promise<number> => {
        for (;;) {
          const { status } = await rawExchange(
            served.port,
            'GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
          );
          if (status !== 0) return status;
        }
      };
      expect(await within(5000, served200(), 'an answer once a slot is free')).toBe(200);
      expect(served.logger.messages()).toHaveLength(1);
      held[1]!.destroy();
    } finally {
      await served.close();
    }
  });
});
