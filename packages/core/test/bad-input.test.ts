import { HttpResponse, JsonResponse, path } from '@manouche/core';
import { httpRequest, rawExchange, until } from './support/raw-http';
import { serve, type Served } from './support/serve';

const LIMIT = 1024;

/** A request head for a raw socket; `Connection: close` so the server ends the exchange. */
function head(requestLine: string, headers: Record<string, string | number> = {}): string {
  const lines = [requestLine, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

describe('bad input over a real socket', () => {
  let served: Served;
  let before: number;

  beforeAll(async () => {
    served = await serve({
      DATA_UPLOAD_MAX_MEMORY_SIZE: LIMIT,
      ROOT_URLCONF: [
        path('ok/', () => new HttpResponse('ok')),
        path('query/', (request) => new JsonResponse(request.GET.toObject())),
        path('upload/', (request) => new JsonResponse({ size: request.body.length })),
        path('json/', (request) => new JsonResponse({ received: request.json() })),
        path(
          'form/',
          (request) => new JsonResponse({ fields: [...request.POST], files: request.FILES.size }),
        ),
        path('<path:rest>', (request) => new JsonResponse({ path: request.path })),
      ],
    });
  });
  afterAll(() => served.close());

  beforeEach(() => {
    before = served.logger.lines.length;
  });

  /** Exactly one log line since the test began, and the server still answers a plain request. */
  async function expectOneLogLineAndHealthyServer(pattern?: RegExp): Promise<void> {
    const lines = served.logger.lines.slice(before);
    expect(lines).toHaveLength(1);
    if (pattern) expect(lines[0]!.message).toMatch(pattern);
    const next = await fetch(`${served.url}/ok/`);
    expect(next.status).toBe(200);
    expect(await next.text()).toBe('ok');
  }

  describe('malformed query strings -> 400', () => {
    it.each(['a=%E0%A4%A', 'a=%', 'a=%zz', '%E0=1', 'a=%C0%AF', 'a=%ED%A0%80'])('?%s', async (query) => {
      const response = await rawExchange(served.port, head(`GET /query/?${query} HTTP/1.1`));
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/^Bad Request: \/query\/ \(Malformed percent-encoding/);
    });

    it('still decodes a well-formed one', async () => {
      const response = await fetch(`${served.url}/query/?a=%E0%A4%A4&b=100%25`);
      expect(await response.json()).toEqual({ a: '\u0924', b: '100%' });
      expect(served.logger.lines.slice(before)).toEqual([]);
    });

    it('refuses more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS with 400', async () => {
      const query = Array.from({ length: 1001 }, (_value, index) => `f${index}=%20`).join('&');
      const response = await rawExchange(served.port, head(`GET /query/?${query} HTTP/1.1`));
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/DATA_UPLOAD_MAX_NUMBER_FIELDS/);
    });
  });

  describe('malformed path escapes -> 400', () => {
    it.each(['/%E0%A4%A/', '/%', '/a%zz/', '/%C0%AF/', '/%ED%A0%80/'])('%s', async (target) => {
      const response = await rawExchange(served.port, head(`GET ${target} HTTP/1.1`));
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/^Bad Request: .*Malformed percent-encoding in path/);
    });

    it('refuses a request target that is not a path with 400', async () => {
      const response = await rawExchange(served.port, head('GET ftp://example.com/ HTTP/1.1'));
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer();
    });
  });

  describe('bodies over DATA_UPLOAD_MAX_MEMORY_SIZE -> 413', () => {
    it('accepts a body of exactly the limit', async () => {
      const response = await fetch(`${served.url}/upload/`, { method: 'POST', body: 'x'.repeat(LIMIT) });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ size: LIMIT });
    });

    it('refuses a body whose Content-Length is over the limit', async () => {
      const body = 'x'.repeat(LIMIT + 1);
      const response = await rawExchange(
        served.port,
        head('POST /upload/ HTTP/1.1', { 'Content-Type': 'text/plain', 'Content-Length': body.length }) +
          body,
      );
      expect(response.status).toBe(413);
      await expectOneLogLineAndHealthyServer(/^Request Entity Too Large: \/upload\//);
    });

    it('refuses a large declared body without waiting for it to arrive', async () => {
      // Only the head is sent: the answer can only come from the declared length.
      const response = await rawExchange(
        served.port,
        head('POST /upload/ HTTP/1.1', { 'Content-Type': 'text/plain', 'Content-Length': 50 * 1024 * 1024 }),
      );
      expect(response.status).toBe(413);
      await expectOneLogLineAndHealthyServer(/^Request Entity Too Large/);
    });

    it('answers a client that is still sending an 8 MB upload with the 413, not a reset', async () => {
      const response = await fetch(`${served.url}/upload/`, {
        method: 'POST',
        body: Buffer.alloc(8 * 1024 * 1024, 'z'),
      });
      expect(response.status).toBe(413);
      await expectOneLogLineAndHealthyServer(/^Request Entity Too Large/);
    });

    it('refuses a chunked body, which declares no length, once it passes the limit', async () => {
      const chunk = 'y'.repeat(600);
      const chunked = `${(600).toString(16)}\r\n${chunk}\r\n`.repeat(3) + '0\r\n\r\n';
      const response = await rawExchange(
        served.port,
        head('POST /upload/ HTTP/1.1', { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' }) +
          chunked,
      );
      expect(response.status).toBe(413);
      await expectOneLogLineAndHealthyServer(/^Request Entity Too Large/);
    });

    it('accepts a chunked body under the limit', async () => {
      const chunked = '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
      const response = await rawExchange(
        served.port,
        head('POST /upload/ HTTP/1.1', { 'Transfer-Encoding': 'chunked' }) + chunked,
      );
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString())).toEqual({ size: 11 });
    });
  });

  describe('invalid JSON -> 400 through request.json()', () => {
    it.each(['{', '{"a":}', 'undefined', "{'a': 1}", ''])('body %p', async (body) => {
      const response = await fetch(`${served.url}/json/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/^Bad Request: \/json\/ \(Invalid JSON body/);
    });
  });

  describe('malformed multipart -> 400', () => {
    const boundary = 'XyZ';
    it.each<[string, string, string]>([
      [
        'no boundary',
        'multipart/form-data',
        `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${boundary}--\r\n`,
      ],
      [
        'a truncated body',
        `multipart/form-data; boundary=${boundary}`,
        `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished`,
      ],
      [
        'a part without headers end',
        `multipart/form-data; boundary=${boundary}`,
        `--${boundary}\r\nContent-Disposition: form-data; name="a"`,
      ],
    ])('%s', async (_label, contentType, body) => {
      const response = await httpRequest(`${served.url}/form/`, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/^Bad Request: \/form\/ \(Malformed multipart body/);
    });
  });

  describe('unknown or garbage methods -> 400', () => {
    it.each(['FOO', 'G@T', 'GET\tX', '123'])('%s', async (method) => {
      const response = await rawExchange(served.port, head(`${method} /ok/ HTTP/1.1`));
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/^Bad Request: refused unparseable request/);
    });

    it('a request line that is not HTTP at all', async () => {
      const response = await rawExchange(served.port, 'hello there\r\n\r\n');
      expect(response.status).toBe(400);
      await expectOneLogLineAndHealthyServer(/^Bad Request/);
    });
  });

  it('a 10 MB header -> 431', async () => {
    const huge = `GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ${'a'.repeat(10 * 1024 * 1024)}\r\n\r\n`;
    const response = await rawExchange(served.port, huge);
    expect(response.status).toBe(431);
    await expectOneLogLineAndHealthyServer(/^Bad Request: refused unparseable request .*HPE_HEADER_OVERFLOW/);
  });

  it('a client that disconnects mid-body: no crash, one log line', async () => {
    await rawExchange(served.port, (socket) => {
      socket.write(head('POST /upload/ HTTP/1.1', { 'Content-Type': 'text/plain', 'Content-Length': 1000 }));
      socket.write('only part of the body', () => socket.destroy());
    });
    await until(() => served.logger.lines.length > before);
    await expectOneLogLineAndHealthyServer(/Client disconnected while sending the body of POST \/upload\//);
  });

  it('a client that disconnects mid-body of a chunked upload: no crash, one log line', async () => {
    await rawExchange(served.port, (socket) => {
      socket.write(head('POST /upload/ HTTP/1.1', { 'Transfer-Encoding': 'chunked' }));
      socket.write('5\r\nhello\r\n', () => socket.destroy());
    });
    await until(() => served.logger.lines.length > before);
    await expectOneLogLineAndHealthyServer(/Client disconnected/);
  });

  it('a client that disconnects halfway through the head: no crash, no log line (no request exists)', async () => {
    await rawExchange(served.port, (socket) => {
      socket.write('POST /upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le', () => socket.end());
    });
    expect((await fetch(`${served.url}/ok/`)).status).toBe(200);
    expect(served.logger.lines.slice(before)).toEqual([]);
  });

  it('a client that disconnects before sending anything: no log line', async () => {
    await rawExchange(served.port, (socket) => socket.destroy());
    expect((await fetch(`${served.url}/ok/`)).status).toBe(200);
    expect(served.logger.lines.slice(before)).toEqual([]);
  });

  it('serves several requests on one keep-alive connection after a bad one on another', async () => {
    await rawExchange(served.port, head('GET /%zz HTTP/1.1'));
    const pair = await rawExchange(
      served.port,
      'GET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /ok/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(pair.raw.toString().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
  });
});
