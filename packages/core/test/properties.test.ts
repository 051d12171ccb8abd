import fc from './support/fast-check';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import {
  BadHeaderError,
  BadRequest,
  createApp,
  HttpResponse,
  JsonResponse,
  path,
  QueryDict,
  ResponseHeaders,
  splitDomainPort,
} from '@manouche/core';
import { parseCookies } from '../src/http/cookies';
import { rawExchange } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Properties over generated input: whatever a client sends, parsing either succeeds or fails with
// the one error that becomes a 4xx, and what we encode we read back unchanged.

/** Text with the characters that matter to URL and form parsing well represented. */
const urlish = fc.string({
  unit: fc.oneof(
    fc.constantFrom('%', '+', '&', '=', '?', '#', '/', ';', ' ', '%2', '%zz', '%C3', '%A9', '%00', '%25'),
    fc.string({ unit: 'grapheme', maxLength: 1 }),
  ),
  maxLength: 40,
});

describe('parsing never fails with anything but a 4xx error', () => {
  it('QueryDict.parse returns a QueryDict or throws BadRequest, for any text', () => {
    fc.assert(
      fc.property(urlish, (text) => {
        try {
          expect(QueryDict.parse(text)).toBeInstanceOf(QueryDict);
        } catch (error) {
          expect(error).toBeInstanceOf(BadRequest);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parseCookies never throws, for any Cookie header', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (header) => {
        expect(typeof parseCookies(header)).toBe('object');
      }),
      { numRuns: 500 },
    );
  });

  it('splitDomainPort never throws, gives a lower-case domain, and answers the same twice', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.ipV4(), urlish), fc.option(fc.nat(65535)), (host, port) => {
        const header = port === null ? host : `${host}:${port}`;
        const [domain, parsedPort] = splitDomainPort(header);
        expect(domain).toBe(domain.toLowerCase());
        expect(splitDomainPort(header)).toEqual([domain, parsedPort]);
      }),
      { numRuns: 500 },
    );
  });

  it('a response header value is refused exactly when it holds a control character; else Node can write it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (value) => {
        const headers = new ResponseHeaders();
        // eslint-disable-next-line no-control-regex -- the control characters are what is refused
        if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
          expect(() => headers.set('X-Value', value)).toThrow(BadHeaderError);
          return;
        }
        const written = headers.set('X-Value', value).get('x-value')!;
        expect(() => validateHeaderValue('X-Value', written)).not.toThrow();
        if (!/[\u0100-\uffff]/.test(value)) expect(written).toBe(value);
        else expect(decodeMimeWord(written)).toBe(Buffer.from(value, 'utf8').toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });

  it("a response header name is refused exactly when Node's writeHead would refuse it", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 12 }), (name) => {
        let nodeRefuses = false;
        try {
          validateHeaderName(name);
        } catch {
          nodeRefuses = true;
        }
        const headers = new ResponseHeaders();
        if (nodeRefuses) expect(() => headers.set(name, 'v')).toThrow(BadHeaderError);
        else expect(headers.set(name, 'v').get(name)).toBe('v');
      }),
      { numRuns: 500 },
    );
  });
});

/** The text of one RFC 2047 `=?utf-8?b?...?=` word. */
function decodeMimeWord(word: string): string {
  const match = /^=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=$/.exec(word);
  if (match === null) throw new Error(`not a MIME word: ${word}`);
  return Buffer.from(match[1]!, 'base64').toString('utf8');
}

describe('what we encode we read back', () => {
  const pairs = fc.array(fc.tuple(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), {
    maxLength: 8,
  });

  // A QueryDict is Django's MultiValueDict: each key keeps its values in order, keys in first-seen order.
  const grouped = (dict: QueryDict): Array<[string, string[]]> =>
    [...dict.keys()].map((key) => [key, dict.getAll(key)]);

  it('QueryDict.parse(urlencode()) gives the same values for every key, in order', () => {
    fc.assert(
      fc.property(pairs, (fields) => {
        const dict = new QueryDict(fields);
        expect(grouped(QueryDict.parse(dict.urlencode()))).toEqual(grouped(dict));
        expect(dict.getAll(fields[0]?.[0] ?? 'absent')).toEqual(
          fields.filter(([key]) => key === (fields[0]?.[0] ?? 'absent')).map(([, value]) => value),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reverse() then resolve() gives back the int and slug parameters', () => {
    const app = createApp({
      ROOT_URLCONF: [path('posts/<int:id>/<slug:slug>/', () => new HttpResponse(''), { name: 'post' })],
    });
    const slug = fc.stringMatching(/^[-a-zA-Z0-9_]{1,20}$/);
    fc.assert(
      fc.property(fc.maxSafeNat(), slug, (id, text) => {
        const url = app.reverse('post', { id, slug: text });
        expect(app.resolver.resolve(url).params).toEqual({ id, slug: text });
      }),
      { numRuns: 300 },
    );
  });
});

describe('over a real socket, generated requests', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: [
        path('query/', (request) => new JsonResponse([...request.GET.entries()])),
        path('<path:rest>', (request) => new JsonResponse({ path: request.path })),
      ],
    });
  });
  afterAll(() => served.close());

  /** One request on its own connection; the status and the JSON body. */
  async function get(target: string): Promise<{ status: number; json: unknown }> {
    const response = await rawExchange(
      served.port,
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    const text = response.body.toString('utf8');
    return { status: response.status, json: response.status === 200 ? JSON.parse(text) : text };
  }

  /** Printable ASCII with the URL-significant characters, as a client could put on the wire. */
  const wireQuery = fc.string({
    unit: fc.oneof(
      fc.constantFrom('%', '%2', '%zz', '%C3%A9', '%FF', '+', '&', '='),
      fc.constantFrom('a', 'Z', '9'),
    ),
    maxLength: 24,
  });

  it('any query string gets 200 or 400, never a 500, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(wireQuery, async (query) => {
        const { status } = await get(`/query/?${query}`);
        expect([200, 400]).toContain(status);
      }),
      { numRuns: 60 },
    );
    expect((await get('/query/?still=up')).json).toEqual([['still', 'up']]);
    expect(served.logger.at('error')).toEqual([]);
  });

  it('a percent-encoded path of any text reaches the view decoded, exactly', async () => {
    // No newline: Django's path converter (`.+`) refuses one, and so does ours (tested in urls.test.ts).
    const segment = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
      .filter((text) => !text.includes('\n'));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 3 }), async (segments) => {
        const target = `/${segments.map((part) => encodeURIComponent(part)).join('/')}`;
        const { status, json } = await get(target);
        expect(status).toBe(200);
        expect(json).toEqual({ path: `/${segments.join('/')}` });
      }),
      { numRuns: 60 },
    );
  });
});
