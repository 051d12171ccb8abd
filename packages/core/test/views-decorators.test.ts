import {
  condition,
  csrfExempt,
  etag,
  HttpResponse,
  lastModified,
  path,
  requireGET,
  requireHttpMethods,
  requirePOST,
  requireSafe,
  type HttpRequest,
} from '@manouche/core';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Django's django.views.decorators.http, over a real socket.

const MODIFIED = new Date('2026-01-02T03:04:05Z');
const MODIFIED_HTTP = 'Fri, 02 Jan 2026 03:04:05 GMT';

let served: Served;
let viewRuns = 0;

function article(request: HttpRequest): HttpResponse {
  viewRuns += 1;
  return new HttpResponse(`article via ${request.method}`);
}

beforeAll(async () => {
  served = await serve({
    ROOT_URLCONF: [
      path('methods/', requireHttpMethods(['get', 'PUT'])(article)),
      path('get/', requireGET(article)),
      path('post/', requirePOST(csrfExempt(article))),
      path('safe/', requireSafe(article)),
      path('etag/', etag(() => 'v1')(article)),
      path('weak/', etag(() => 'W/"v1"')(article)),
      path('modified/', lastModified(() => MODIFIED)(article)),
      path('both/', condition({ etag: async () => '"v2"', lastModified: async () => MODIFIED })(article)),
      path('no-tag/', etag(() => null)(article)),
    ],
  });
});
afterAll(() => served.close());
beforeEach(() => {
  viewRuns = 0;
  served.logger.lines.length = 0;
});

describe('requireHttpMethods()', () => {
  it('lets the listed methods through, in any case', async () => {
    expect((await httpRequest(`${served.url}/methods/`)).text).toBe('article via GET');
    expect((await httpRequest(`${served.url}/methods/`, { method: 'PUT' })).status).toBe(200);
  });

  it('answers another method 405 with Allow, without running the view, and logs one warning', async () => {
    const response = await httpRequest(`${served.url}/methods/`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, PUT');
    expect(viewRuns).toBe(0);
    expect(served.logger.at('warn')).toEqual(['Method Not Allowed (DELETE): /methods/']);
  });

  it('keeps the view name and what other decorators recorded', () => {
    expect(requireGET(article).name).toBe('article');
    expect(requirePOST(csrfExempt(article)).name).toBe('article');
  });
});

describe('requireGET(), requirePOST(), requireSafe()', () => {
  it('requireGET allows GET only', async () => {
    expect((await httpRequest(`${served.url}/get/`)).status).toBe(200);
    expect((await httpRequest(`${served.url}/get/`, { method: 'POST' })).headers.allow).toBe('GET');
  });

  it('requirePOST allows POST only', async () => {
    expect((await httpRequest(`${served.url}/post/`, { method: 'POST' })).status).toBe(200);
    const refused = await httpRequest(`${served.url}/post/`);
    expect(refused.status).toBe(405);
    expect(refused.headers.allow).toBe('POST');
  });

  it('requireSafe allows GET and HEAD', async () => {
    expect((await httpRequest(`${served.url}/safe/`, { method: 'HEAD' })).status).toBe(200);
    const refused = await httpRequest(`${served.url}/safe/`, { method: 'PUT' });
    expect(refused.status).toBe(405);
    expect(refused.headers.allow).toBe('GET, HEAD');
  });
});

describe('etag()', () => {
  it('quotes the tag and sends it with the response', async () => {
    const response = await httpRequest(`${served.url}/etag/`);
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('"v1"');
  });

  it('answers 304 without running the view when If-None-Match holds the tag', async () => {
    const response = await httpRequest(`${served.url}/etag/`, { headers: { 'If-None-Match': '"v0", "v1"' } });
    expect(response.status).toBe(304);
    expect(response.body).toHaveLength(0);
    expect(viewRuns).toBe(0);
  });

  it('compares If-None-Match weakly: W/"v1" matches "v1"', async () => {
    const response = await httpRequest(`${served.url}/weak/`, { headers: { 'If-None-Match': '"v1"' } });
    expect(response.status).toBe(304);
  });

  it('runs the view when If-None-Match names another tag', async () => {
    const response = await httpRequest(`${served.url}/etag/`, { headers: { 'If-None-Match': '"v0"' } });
    expect(response.status).toBe(200);
    expect(viewRuns).toBe(1);
  });

  it('answers 412 to an unsafe request whose If-None-Match matches, and logs it', async () => {
    const response = await httpRequest(`${served.url}/etag/`, {
      method: 'PUT',
      headers: { 'If-None-Match': '*' },
    });
    expect(response.status).toBe(412);
    expect(viewRuns).toBe(0);
    expect(served.logger.at('warn')).toEqual(['Precondition Failed: /etag/']);
  });

  it('answers 412 when If-Match names another tag, and runs the view when it names this one', async () => {
    expect((await httpRequest(`${served.url}/etag/`, { headers: { 'If-Match': '"v0"' } })).status).toBe(412);
    expect((await httpRequest(`${served.url}/etag/`, { headers: { 'If-Match': '"v1"' } })).status).toBe(200);
  });

  it('compares If-Match strongly: a weak tag never matches', async () => {
    expect((await httpRequest(`${served.url}/weak/`, { headers: { 'If-Match': 'W/"v1"' } })).status).toBe(
      412,
    );
  });

  it('answers If-Match: * with 412 when the resource has no tag', async () => {
    expect((await httpRequest(`${served.url}/no-tag/`, { headers: { 'If-Match': '*' } })).status).toBe(412);
  });
});

describe('lastModified()', () => {
  it('sends Last-Modified as an HTTP date', async () => {
    expect((await httpRequest(`${served.url}/modified/`)).headers['last-modified']).toBe(MODIFIED_HTTP);
  });

  it('answers 304 when If-Modified-Since is not older than the resource', async () => {
    const response = await httpRequest(`${served.url}/modified/`, {
      headers: { 'If-Modified-Since': MODIFIED_HTTP },
    });
    expect(response.status).toBe(304);
  });

  it('runs the view when the resource changed after If-Modified-Since', async () => {
    const response = await httpRequest(`${served.url}/modified/`, {
      headers: { 'If-Modified-Since': 'Thu, 01 Jan 2026 00:00:00 GMT' },
    });
    expect(response.status).toBe(200);
  });

  it('ignores an If-Modified-Since that is not a date', async () => {
    const response = await httpRequest(`${served.url}/modified/`, {
      headers: { 'If-Modified-Since': 'yesterday' },
    });
    expect(response.status).toBe(200);
  });

  it('answers 412 when the resource changed after If-Unmodified-Since', async () => {
    const response = await httpRequest(`${served.url}/modified/`, {
      method: 'PUT',
      headers: { 'If-Unmodified-Since': 'Thu, 01 Jan 2026 00:00:00 GMT' },
    });
    expect(response.status).toBe(412);
  });
});

describe('condition()', () => {
  it('lets If-None-Match decide and ignores If-Modified-Since when both are sent', async () => {
    const response = await httpRequest(`${served.url}/both/`, {
      headers: { 'If-None-Match': '"other"', 'If-Modified-Since': MODIFIED_HTTP },
    });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('"v2"');
    expect(response.headers['last-modified']).toBe(MODIFIED_HTTP);
  });
});
