import { ConditionalGetMiddleware, HttpResponse, path, type Settings } from '@manouche/core';
import { createHash } from 'node:crypto';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';
import { inStack, STACKS, type Stack } from './support/stacks';

const BODY = 'the page';
const TAG = `"${createHash('md5').update(BODY).digest('hex')}"`;
const MODIFIED_HTTP = 'Fri, 02 Jan 2026 03:04:05 GMT';

describe.each(STACKS)('ConditionalGetMiddleware in %s', (setting: Stack) => {
  let served: Served;

  beforeAll(async () => {
    const settings: Settings = {
      ...inStack(setting, ConditionalGetMiddleware),
      ROOT_URLCONF: [
        path('', () => {
          const response = new HttpResponse(BODY, { headers: { 'Cache-Control': 'max-age=60' } });
          response.setCookie('seen', 'yes');
          return response;
        }),
        path('private/', () => new HttpResponse(BODY, { headers: { 'Cache-Control': 'private, no-store' } })),
        path('dated/', () => new HttpResponse('', { headers: { 'Last-Modified': MODIFIED_HTTP } })),
        path('missing/', () => new HttpResponse(BODY, { status: 404 })),
      ],
    };
    served = await serve(settings);
  });
  afterAll(() => served.close());

  it('adds an ETag, the MD5 of the content, to a GET response', async () => {
    expect((await httpRequest(`${served.url}/`)).headers.etag).toBe(TAG);
  });

  it('answers 304 keeping the caching headers and cookies when If-None-Match holds the ETag', async () => {
    const response = await httpRequest(`${served.url}/`, { headers: { 'If-None-Match': TAG } });
    expect(response.status).toBe(304);
    expect(response.body).toHaveLength(0);
    expect(response.headers.etag).toBe(TAG);
    expect(response.headers['cache-control']).toBe('max-age=60');
    expect(response.headers['set-cookie']?.[0]).toMatch(/^seen=yes/);
  });

  it('tags no response marked Cache-Control: no-store', async () => {
    const response = await httpRequest(`${served.url}/private/`, { headers: { 'If-None-Match': TAG } });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBeUndefined();
  });

  it('answers 304 from Last-Modified when If-Modified-Since is as recent', async () => {
    const response = await httpRequest(`${served.url}/dated/`, {
      headers: { 'If-Modified-Since': MODIFIED_HTTP },
    });
    expect(response.status).toBe(304);
  });

  it('leaves other methods alone', async () => {
    const response = await httpRequest(`${served.url}/`, {
      method: 'HEAD',
      headers: { 'If-None-Match': TAG },
    });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBeUndefined();
  });

  it('leaves a response that is not 2xx alone', async () => {
    const missing = await httpRequest(`${served.url}/missing/`);
    const response = await httpRequest(`${served.url}/missing/`, {
      headers: { 'If-None-Match': String(missing.headers.etag) },
    });
    expect(response.status).toBe(404);
  });
});
