import {
  BadHeaderError,
  contentDispositionHeader,
  HttpResponse,
  path,
  StreamingHttpResponse,
  type HttpRequest,
} from '@manouche/core';
import { rawExchange, type RawResponse } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Whatever a view does to its response, the client gets an answer: a header that can't be written is
// refused where it is set (a 500 naming it), a Unicode value is encoded as Django encodes it, and a
// response that still fails to go out is replaced by a bare 500 rather than a dropped socket.

/** A view that builds a plain response and lets `spoil` do something wrong to it. */
function spoiled(spoil: (response: HttpResponse) => void): (request: HttpRequest) => HttpResponse {
  return () => {
    const response = new HttpResponse('body');
    spoil(response);
    return response;
  };
}

function get(target: string, extra = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`;
}

/** An `Upgrade` request that no WebSocket code takes: core answers it as HTTP on the raw socket. */
function upgrade(target: string): string {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`;
}

/** The value of the header line `name` in a raw head, or `undefined`. */
function headerOf(response: RawResponse, name: string): string | undefined {
  const prefix = `${name.toLowerCase()}: `;
  const line = response.head.split('\r\n').find((candidate) => candidate.toLowerCase().startsWith(prefix));
  return line?.slice(prefix.length);
}

describe('answers that never vanish, over a real socket', () => {
  let served: Served;
  let before: number;

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: [
        path('ok/', () => new HttpResponse('ok')),
        path(
          'nul-value/',
          spoiled((response) => response.headers.set('X-Note', 'a\0b')),
        ),
        path(
          'crlf-name/',
          spoiled((response) => response.headers.set('X-Note\r\nX-Injected', 'yes')),
        ),
        path(
          'init-newline/',
          () => new HttpResponse('body', { headers: { 'X-Note': 'a\nX-Injected: yes' } }),
        ),
        path(
          'bad-cookie/',
          spoiled((response) => response.setCookie('bad name', 'value')),
        ),
        path(
          'unicode-value/',
          spoiled((response) => response.headers.set('X-Title', 'Crème brûlée †')),
        ),
        path(
          'download/',
          spoiled((response) =>
            response.headers.set('Content-Disposition', contentDispositionHeader(true, 'résumé — 2024.pdf')!),
          ),
        ),
        path(
          'bad-status/',
          spoiled((response) => (response.statusCode = 42)),
        ),
        path(
          'bad-reason/',
          spoiled((response) => (response.reasonPhrase = 'OK\r\nX-Injected: yes')),
        ),
        path(
          'unicode-reason/',
          spoiled((response) => (response.reasonPhrase = 'Ça va †')),
        ),
        path(
          'raw-cookie/',
          spoiled((response) => response.cookies.set('session', 'session=a\0b')),
        ),
        path('bodiless-broken/', () => {
          const response = new HttpResponse('', { status: 204 });
          response.cookies.set('session', 'session=a\0b');
          return response;
        }),
        path('stream-bad-status/', () => {
          const response = new StreamingHttpResponse(['never', 'sent']);
          response.statusCode = 42;
          return response;
        }),
      ],
    });
  });
  afterAll(() => served.close());

  beforeEach(() => {
    before = served.logger.lines.length;
  });

  /** The log lines written since the test began. */
  function newLines(): Array<{ level: string; message: string; error?: unknown }> {
    return served.logger.lines.slice(before);
  }

  async function expectHealthyServer(): Promise<void> {
    const next = await fetch(`${served.url}/ok/`);
    expect(next.status).toBe(200);
    expect(await next.text()).toBe('ok');
  }

  describe('a header that cannot be written is refused when set: a 500 naming it, one error line', () => {
    it.each([
      ['a value with a NUL byte', '/nul-value/', /X-Note/],
      ['a name with CR/LF', '/crlf-name/', /X-Note\\r\\nX-Injected/],
      ['a value with LF in the constructor init', '/init-newline/', /X-Note/],
      ['a cookie name that is not a token', '/bad-cookie/', /bad name/],
    ])('%s', async (_case, target, naming) => {
      const response = await rawExchange(served.port, get(target));
      expect(response.status).toBe(500);
      expect(response.head).not.toMatch(/X-Injected/i);
      const lines = newLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'error', message: `Internal Server Error: ${target}` });
      expect(lines[0]!.error).toBeInstanceOf(BadHeaderError);
      expect((lines[0]!.error as Error).message).toMatch(naming);
      await expectHealthyServer();
    });
  });

  it('a header value outside Latin-1 is MIME-encoded as Django does (RFC 2047), not a dropped socket', async () => {
    const response = await rawExchange(served.port, get('/unicode-value/'));
    expect(response.status).toBe(200);
    expect(headerOf(response, 'X-Title')).toBe(
      `=?utf-8?b?${Buffer.from('Crème brûlée †').toString('base64')}?=`,
    );
    expect(response.body.toString()).toBe('body');
    expect(newLines()).toEqual([]);
  });

  it('a download with a Unicode filename gets an RFC 6266 filename* that decodes to the name', async () => {
    const response = await rawExchange(served.port, get('/download/'));
    expect(response.status).toBe(200);
    const disposition = headerOf(response, 'Content-Disposition')!;
    expect(disposition).toBe("attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20%E2%80%94%202024.pdf");
    expect(decodeURIComponent(disposition.slice(disposition.indexOf("''") + 2))).toBe('résumé — 2024.pdf');
  });

  describe('a response Node refuses to write is replaced by a bare 500, with one error line', () => {
    it.each([
      ['a status code out of range', '/bad-status/'],
      ['a reason phrase with CR/LF', '/bad-reason/'],
      ['a reason phrase outside Latin-1', '/unicode-reason/'],
      ['a Set-Cookie with a NUL byte put straight into the cookies map', '/raw-cookie/'],
      ['a streaming response with a status code out of range', '/stream-bad-status/'],
    ])('%s', async (_case, target) => {
      const response = await rawExchange(served.port, get(target));
      expect(response.head.split('\r\n')[0]).toBe('HTTP/1.1 500 Internal Server Error');
      expect(response.head).not.toMatch(/X-Injected/i);
      expect(headerOf(response, 'Connection')).toBe('close');
      expect(response.body.toString()).toBe('500 Internal Server Error\n');
      const lines = newLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]!.level).toBe('error');
      expect(lines[0]!.message).toBe(
        `Internal Server Error: the response to GET ${target} could not be written; a bare 500 was sent instead`,
      );
      await expectHealthyServer();
    });

    it('without a body when the failed response could not have one (204), so the client reads a whole answer', async () => {
      const response = await rawExchange(served.port, get('/bodiless-broken/'));
      expect(response.status).toBe(500);
      expect(headerOf(response, 'Content-Length')).toBe('0');
      expect(response.body.length).toBe(0);
      expect(newLines()).toHaveLength(1);
    });
  });

  describe('the same on the raw socket of an Upgrade request answered as HTTP', () => {
    it('a reason phrase with CR/LF is a bare 500, never an injected header', async () => {
      const response = await rawExchange(served.port, upgrade('/bad-reason/'));
      expect(response.head.split('\r\n')[0]).toBe('HTTP/1.1 500 Internal Server Error');
      expect(response.head).not.toMatch(/X-Injected/i);
      const lines = newLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]!.message).toBe(
        'Internal Server Error: the response to GET /bad-reason/ could not be written; a bare 500 was sent instead',
      );
      await expectHealthyServer();
    });

    it.each(['/bad-status/', '/unicode-reason/', '/raw-cookie/'])('%s is a bare 500', async (target) => {
      const response = await rawExchange(served.port, upgrade(target));
      expect(response.head.split('\r\n')[0]).toBe('HTTP/1.1 500 Internal Server Error');
      expect(newLines()).toHaveLength(1);
    });

    it('a Unicode header value is MIME-encoded there too', async () => {
      const response = await rawExchange(served.port, upgrade('/unicode-value/'));
      expect(response.status).toBe(200);
      expect(headerOf(response, 'X-Title')).toBe(
        `=?utf-8?b?${Buffer.from('Crème brûlée †').toString('base64')}?=`,
      );
    });

    it('a header refused when set is a 500 there too', async () => {
      const response = await rawExchange(served.port, upgrade('/nul-value/'));
      expect(response.status).toBe(500);
      expect(newLines()).toHaveLength(1);
    });
  });
});
