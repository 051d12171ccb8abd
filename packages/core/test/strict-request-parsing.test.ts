import { JsonResponse, path } from '@manouche/core';
import { rawExchange } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Requests whose head can be read two ways (two Host lines, two framings) are refused with 400 before
// they reach the application, and their connection is closed: a front proxy that read them the other
// way must never see a second request appear on it. Node's parser refuses most framing tricks itself;
// the tests pin that down too, so a change of parser options can't quietly let one through.

const CLOSE = 'Connection: close\r\n';

/** The status codes of every response the server wrote on one connection, in order. */
function statusesOf(raw: Buffer): number[] {
  return [...raw.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
}

describe('strict request parsing over a real socket', () => {
  let served: Served;
  let before: number;
  const seen: string[] = [];

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: [
        path('<path:rest>', (request) => {
          seen.push(request.path);
          return new JsonResponse({ path: request.path, body: request.body.toString('latin1') });
        }),
      ],
    });
  });
  afterAll(() => served.close());

  beforeEach(() => {
    before = served.logger.lines.length;
    seen.length = 0;
  });

  /** Exactly one log line, a warning, since the test began, and the server still answers. */
  async function expectOneWarningAndHealthyServer(pattern: RegExp): Promise<void> {
    const lines = served.logger.lines.slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.message).toMatch(pattern);
    const next = await fetch(`${served.url}/healthy/`);
    expect(next.status).toBe(200);
  }

  describe('a field that must appear once, sent twice -> 400 (Node keeps the first and drops the rest)', () => {
    it.each([
      ['two Host lines (RFC 9112 3.2)', 'Host: 127.0.0.1\r\nHost: evil.example\r\n', 'Host'],
      ['two Host lines spelled differently', 'Host: 127.0.0.1\r\nhOST: 127.0.0.1\r\n', 'Host'],
      [
        'two Content-Type lines',
        'Host: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\n',
        'Content-Type',
      ],
      [
        'two Authorization lines',
        'Host: 127.0.0.1\r\nAuthorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n',
        'Authorization',
      ],
    ])('%s', async (_case, headers, field) => {
      const response = await rawExchange(served.port, `GET /target/ HTTP/1.1\r\n${headers}${CLOSE}\r\n`);
      expect(response.status).toBe(400);
      expect(seen).toEqual([]);
      await expectOneWarningAndHealthyServer(
        new RegExp(`^Bad Request: /target/ \\(2 ${field} header lines; a request may carry only one\\)$`),
      );
    });

    it('two Host lines on an Upgrade request -> 400 on the raw socket', async () => {
      const response = await rawExchange(
        served.port,
        'GET /target/ HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n',
      );
      expect(response.status).toBe(400);
      expect(seen).toEqual([]);
      await expectOneWarningAndHealthyServer(/^Bad Request: \/target\/ \(2 Host header lines/);
    });

    it('closes the connection after refusing, so nothing pipelined behind it is served', async () => {
      const response = await rawExchange(
        served.port,
        'GET /first/ HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n' +
          `GET /second/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${CLOSE}\r\n`,
      );
      expect(statusesOf(response.raw)).toEqual([400]);
      expect(seen).toEqual([]);
    });

    it('one Host line whose value lists two hosts is left to ALLOWED_HOSTS (400 there)', async () => {
      const response = await rawExchange(
        served.port,
        `GET /target/ HTTP/1.1\r\nHost: 127.0.0.1, evil.example\r\n${CLOSE}\r\n`,
      );
      expect(response.status).toBe(400);
      await expectOneWarningAndHealthyServer(/^Bad Request: \/target\/ \(Invalid HTTP_HOST header/);
    });

    it('a repeated list field (Accept) is still joined, as HTTP allows', async () => {
      const response = await rawExchange(
        served.port,
        `GET /target/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nAccept: application/json\r\n${CLOSE}\r\n`,
      );
      expect(response.status).toBe(200);
      expect(seen).toEqual(['/target/']);
    });
  });

  describe('a framing Node lets through but HTTP forbids -> 400, connection closed', () => {
    it('Transfer-Encoding in an HTTP/1.0 request: refused, and the request smuggled behind it never runs', async () => {
      const response = await rawExchange(
        served.port,
        'POST /first/ HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '3\r\nabc\r\n0\r\n\r\n' +
          `GET /smuggled/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${CLOSE}\r\n`,
      );
      expect(statusesOf(response.raw)).toEqual([400]);
      expect(seen).toEqual([]);
      await expectOneWarningAndHealthyServer(
        /^Bad Request: \/first\/ \(Transfer-Encoding in an HTTP\/1\.0 request: its framing can't be trusted \(RFC 9112 6\.1\)\)$/,
      );
    });

    // Node hands the view the still-encoded bytes of `gzip, chunked`; it refuses a coding that does not
    // end in chunked itself, but only after announcing the request: either way the answer is ours.
    it.each(['gzip, chunked', 'xchunked', 'gzip'])(
      'Transfer-Encoding: %s, a coding other than chunked: refused, one answer and one line',
      async (codings) => {
        const response = await rawExchange(
          served.port,
          `POST /first/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: ${codings}\r\n\r\n` +
            '3\r\nabc\r\n0\r\n\r\n' +
            `GET /second/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${CLOSE}\r\n`,
        );
        expect(statusesOf(response.raw)).toEqual([400]);
        expect(seen).toEqual([]);
        await expectOneWarningAndHealthyServer(
          new RegExp(
            `^Bad Request: /first/ \\(Transfer-Encoding "${codings}" is not supported; only chunked is\\)$`,
          ),
        );
      },
    );

    it('Transfer-Encoding: chunked in any case is accepted', async () => {
      const response = await rawExchange(
        served.port,
        `POST /upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: Chunked\r\n${CLOSE}\r\n3\r\nabc\r\n0\r\n\r\n`,
      );
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString())).toEqual({ path: '/upload/', body: 'abc' });
    });
  });

  describe("what Node 20's parser already refuses -> 400 and one log line, nothing reaches the application", () => {
    const chunkedBody = '3\r\nabc\r\n0\r\n\r\n';
    it.each([
      ['Transfer-Encoding with Content-Length', `Content-Length: 3\r\nTransfer-Encoding: chunked\r\n`],
      ['Content-Length with Transfer-Encoding', `Transfer-Encoding: chunked\r\nContent-Length: 3\r\n`],
      ['the same Content-Length twice', 'Content-Length: 3\r\nContent-Length: 3\r\n'],
      ['two different Content-Lengths', 'Content-Length: 3\r\nContent-Length: 5\r\n'],
      ['a Content-Length list', 'Content-Length: 3, 3\r\n'],
      ['chunked applied twice', 'Transfer-Encoding: chunked, chunked\r\n'],
      ['two Transfer-Encoding lines', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
      ['a Transfer-Encoding that does not end in chunked', 'Transfer-Encoding: chunked, gzip\r\n'],
      ['Transfer-Encoding with a space before the colon', 'Transfer-Encoding : chunked\r\n'],
      ['an obsolete line folding', 'X-Folded: a\r\n b\r\n'],
      [
        'Transfer-Encoding with Content-Length in HTTP/1.0',
        'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n',
        '1.0',
      ],
    ])('%s', async (_case, headers, version = '1.1') => {
      const response = await rawExchange(
        served.port,
        `POST /target/ HTTP/${version}\r\nHost: 127.0.0.1\r\n${headers}\r\n${chunkedBody}` +
          `GET /second/ HTTP/1.1\r\nHost: 127.0.0.1\r\n${CLOSE}\r\n`,
      );
      expect(statusesOf(response.raw)).toEqual([400]);
      expect(seen).toEqual([]);
      await expectOneWarningAndHealthyServer(
        /^Bad Request: refused unparseable request from 127\.0\.0\.1 \(HPE_/,
      );
    });
  });
});
