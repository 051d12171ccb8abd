import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HttpResponse, JsonResponse, path } from '@manouche/core';
import { rawExchange } from './support/raw-http';
import { serve, type Served } from './support/serve';

const LIMIT = 1024;

const views = [
  path('ok/', () => new HttpResponse('ok')),
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
