import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { createGunzip, gunzipSync } from 'node:zlib';
import { GZipMiddleware, HttpResponse, path, StreamingHttpResponse, type Settings } from '@manouche/core';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';
import { inStack, STACKS, type Stack } from './support/stacks';

const stack = (setting: Stack): Partial<Settings> => inStack(setting, GZipMiddleware);

const GZIP = { 'accept-encoding': 'gzip' };
/** 1800 bytes that compress well. */
const PAGE = 'manouche '.repeat(200);
const NOISE = randomBytes(1000);

/** Opens a request and resolves once the response head arrived (the body is left to the caller). */
function openStream(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

describe.each(STACKS)('GZipMiddleware in %s', (setting) => {
  let served: Served;
  /** Lets the `/live/` view produce its second chunk. */
  let releaseSecondChunk: () => void = () => undefined;

  beforeAll(async () => {
    served = await serve({
      ...stack(setting),
      ROOT_URLCONF: [
        path('page/', () => new HttpResponse(PAGE)),
        path('exactly-200/', () => new HttpResponse('a'.repeat(200))),
        path('small/', () => new HttpResponse('a'.repeat(199))),
        path('noise/', () => new HttpResponse(NOISE, { contentType: 'application/octet-stream' })),
        path('encoded/', () => new HttpResponse(PAGE, { headers: { 'Content-Encoding': 'br' } })),
        path('vary/', () => new HttpResponse(PAGE, { headers: { Vary: 'Cookie, accept-encoding' } })),
        path('vary-cookie/', () => new HttpResponse(PAGE, { headers: { Vary: 'Cookie' } })),
        path('vary-star/', () => new HttpResponse(PAGE, { headers: { Vary: '*' } })),
        path(
          'partial/',
          () => new HttpResponse(PAGE, { status: 206, headers: { 'Content-Range': 'bytes 0-1799/5000' } }),
        ),
        path('strong-etag/', () => new HttpResponse(PAGE, { headers: { ETag: '"v1"' } })),
        path('weak-etag/', () => new HttpResponse(PAGE, { headers: { ETag: 'W/"v1"' } })),
        path(
          'stream/',
          () =>
            new StreamingHttpResponse(['chunk one; ', Buffer.from('chunk two; '), new Uint8Array([0x21])], {
              headers: { 'Content-Length': '23' },
            }),
        ),
        path('live/', () => {
          let release: () => void = () => undefined;
          const gate = new Promise<void>((resolve) => (release = resolve));
          releaseSecondChunk = () => release();
          return new StreamingHttpResponse(
            (async function* () {
              yield 'first\n';
              await gate;
              yield 'second\n';
            })(),
          );
        }),
      ],
    });
  });
  afterAll(() => served.close());

  describe('an in-memory body', () => {
    it('is gzipped for a client that accepts gzip, with Content-Length of the compressed body', async () => {
      const response = await httpRequest(`${served.url}/page/`, { headers: GZIP });
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(Number(response.headers['content-length'])).toBe(response.body.length);
      expect(response.body.length).toBeLessThan(PAGE.length);
      expect(gunzipSync(response.body).toString()).toBe(PAGE);
    });

    it('carries a random-length file name in the gzip header (BREACH mitigation, as Django 4.2)', async () => {
      const response = await httpRequest(`${served.url}/page/`, { headers: GZIP });
      const FNAME = 0x08;
      expect(response.body[3]! & FNAME).toBe(FNAME);
    });

    it('is compressed from 200 bytes on', async () => {
      const response = await httpRequest(`${served.url}/exactly-200/`, { headers: GZIP });
      expect(response.headers['content-encoding']).toBe('gzip');
    });

    it('is left alone under 200 bytes, without Vary', async () => {
      const response = await httpRequest(`${served.url}/small/`, { headers: GZIP });
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.headers.vary).toBeUndefined();
      expect(response.text).toBe('a'.repeat(199));
    });

    it('is left alone when compressing would not make it smaller, but still gets Vary', async () => {
      const response = await httpRequest(`${served.url}/noise/`, { headers: GZIP });
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(response.body.equals(NOISE)).toBe(true);
    });
  });

  describe("the client's Accept-Encoding", () => {
    it('without one: the body is sent as is, with Vary: Accept-Encoding', async () => {
      const response = await httpRequest(`${served.url}/page/`);
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(response.text).toBe(PAGE);
    });

    it.each([
      ['gzip, deflate, br', true],
      ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
      ['x-gzip', true],
      ['*', true],
      ['GZIP', true],
      ['gzip;q=0', false],
      ['gzip;q=0.000', false],
      ['br, *;q=0', false],
      ['br', false],
      ['identity', false],
    ])('%j allows gzip: %s', async (acceptEncoding, compressed) => {
      const response = await httpRequest(`${served.url}/page/`, {
        headers: { 'accept-encoding': acceptEncoding },
      });
      expect(response.headers['content-encoding']).toBe(compressed ? 'gzip' : undefined);
    });
  });

  describe('headers', () => {
    it('leaves a response that already has a Content-Encoding alone', async () => {
      const response = await httpRequest(`${served.url}/encoded/`, { headers: GZIP });
      expect(response.headers['content-encoding']).toBe('br');
      expect(response.headers.vary).toBeUndefined();
      expect(response.text).toBe(PAGE);
    });

    it('adds Accept-Encoding to an existing Vary', async () => {
      const response = await httpRequest(`${served.url}/vary-cookie/`, { headers: GZIP });
      expect(response.headers.vary).toBe('Cookie, Accept-Encoding');
    });

    it('does not repeat Accept-Encoding in Vary, whatever its case', async () => {
      const response = await httpRequest(`${served.url}/vary/`, { headers: GZIP });
      expect(response.headers.vary).toBe('Cookie, accept-encoding');
    });

    it('keeps Vary: * as it is', async () => {
      const response = await httpRequest(`${served.url}/vary-star/`, { headers: GZIP });
      expect(response.headers.vary).toBe('*');
    });

    it('weakens a strong ETag when it compresses', async () => {
      const response = await httpRequest(`${served.url}/strong-etag/`, { headers: GZIP });
      expect(response.headers.etag).toBe('W/"v1"');
    });

    it('keeps a strong ETag when it does not compress', async () => {
      const response = await httpRequest(`${served.url}/strong-etag/`);
      expect(response.headers.etag).toBe('"v1"');
    });

    it('keeps a weak ETag as it is', async () => {
      const response = await httpRequest(`${served.url}/weak-etag/`, { headers: GZIP });
      expect(response.headers.etag).toBe('W/"v1"');
    });

    it('leaves a 206 Partial Content alone', async () => {
      const response = await httpRequest(`${served.url}/partial/`, { headers: GZIP });
      expect(response.status).toBe(206);
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.text).toBe(PAGE);
    });
  });

  describe('a streaming body', () => {
    it('is gzipped chunk by chunk, without Content-Length', async () => {
      const response = await httpRequest(`${served.url}/stream/`, { headers: GZIP });
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(response.headers['content-length']).toBeUndefined();
      expect(response.headers['transfer-encoding']).toBe('chunked');
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(gunzipSync(response.body).toString()).toBe('chunk one; chunk two; !');
    });

    it('is streamed as is to a client that does not accept gzip', async () => {
      const response = await httpRequest(`${served.url}/stream/`);
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.text).toBe('chunk one; chunk two; !');
    });

    it('reaches the client chunk by chunk: the first is readable before the second is produced', async () => {
      const response = await openStream(`${served.url}/live/`, GZIP);
      expect(response.headers['content-encoding']).toBe('gzip');
      const gunzip = createGunzip();
      response.pipe(gunzip);
      let text = '';
      gunzip.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        // Without a flush per chunk, 'first' would sit in zlib and this test would time out.
        if (text === 'first\n') releaseSecondChunk();
      });
      await once(gunzip, 'end');
      expect(text).toBe('first\nsecond\n');
    });
  });
});
