import {
  createApp,
  HttpResponse,
  ImproperlyConfigured,
  JsonResponse,
  KNOWN_SETTINGS,
  path,
  ResponseHeaders,
  runChecks,
  SessionMiddleware,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import fc from './support/fast-check';
import { httpRequest, type NodeResponse } from './support/raw-http';
import { serve, type Served } from './support/serve';

// A name a client chooses (a header, a cookie, a query key, a session key) is looked up in objects.
// When one of them is a plain object, `constructor`, `__proto__` or `toString` find Object.prototype's
// members: a lookup answered a function (a 500 when used as a string), and `__proto__` could even
// replace an object's prototype. Every such name must be an ordinary name: absent when not sent, its
// value when sent.

/** Every name Object.prototype defines (`constructor`, `__proto__`, `toString`, `hasOwnProperty`...). */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

/** A looked-up value as JSON can show it: strings as they are, anything else by its type. */
function shown(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === 'string') return value ?? null;
  return `<${typeof value}>`;
}

/** What the request carried under `name`: its value, or nothing (never a member of Object.prototype). */
function lookups(request: HttpRequest, name: string): Record<string, unknown> {
  const cookies = request.COOKIES;
  const query = request.GET.toObject();
  return {
    header: shown(request.headers.get(name)),
    hasHeader: request.headers.has(name),
    cookie: shown(cookies[name]),
    hasCookie: name in cookies,
    meta: shown(request.META[name]),
    query: shown(request.GET.get(name)),
    queryAll: request.GET.getAll(name),
    hasQuery: request.GET.has(name),
    queryObject: Object.hasOwn(query, name) ? shown(query[name]) : '<absent>',
  };
}

/** An object with exactly these own properties, `__proto__` included (a literal would set the prototype). */
function own(entries: Array<[string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(entries);
}

describe('names from Object.prototype are ordinary names, over a real socket', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      MIDDLEWARE: [SessionMiddleware],
      SECRET_KEY: 'prototype-names-test',
      ROOT_URLCONF: [
        path('lookup/', (request) => new JsonResponse(lookups(request, request.headers.get('x-name') ?? ''))),
        path('query/', (request) => {
          const names = [...new Set([...PROTOTYPE_NAMES, ...request.GET.keys()])];
          return new JsonResponse(names.map((name) => [name, lookups(request, name)]));
        }),
        path('session/set/', (request) => {
          request.session.set(request.GET.get('key')!, JSON.parse(request.GET.get('value')!));
          return new HttpResponse('set');
        }),
        path('session/get/', (request) => {
          const names = [...new Set([...PROTOTYPE_NAMES, ...request.GET.getAll('key')])];
          return new JsonResponse(
            names.map((name) => [
              name,
              { has: request.session.has(name), value: request.session.get(name) ?? null },
            ]),
          );
        }),
        path('respond/', (request) => {
          const sent: Array<[string, string]> = [[request.GET.get('name')!, 'sent']];
          const headers = new ResponseHeaders(sent);
          const found = PROTOTYPE_NAMES.map((name) => [name, shown(headers.get(name)), headers.has(name)]);
          return new JsonResponse(found, { headers: sent });
        }),
      ],
    });
  });
  afterAll(() => served.close());

  async function lookup(name: string, headers: Record<string, string> = {}): Promise<NodeResponse> {
    return httpRequest(`${served.url}/lookup/`, { headers: { ...headers, 'x-name': name } });
  }

  describe('request.headers', () => {
    it.each(['constructor', '__proto__'])(
      "get('%s') is null and has() false when the client sent no such header, not a 500",
      async (name) => {
        const response = await lookup(name);
        expect(response.status).toBe(200);
        expect(JSON.parse(response.text)).toMatchObject({ header: null, hasHeader: false });
      },
    );

    it('reads a header named constructor like any other', async () => {
      const response = await lookup('constructor', { Constructor: 'built' });
      expect(JSON.parse(response.text)).toMatchObject({ header: 'built', hasHeader: true });
    });

    it('reads a __proto__ header as absent: Node drops it while parsing, before any code of ours', async () => {
      const response = await lookup('__proto__', own([['__proto__', 'sent']]) as Record<string, string>);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toMatchObject({ header: null, hasHeader: false });
    });
  });

  describe('request.COOKIES', () => {
    it('holds cookies named __proto__, constructor and toString as ordinary cookies', async () => {
      for (const [name, value] of [
        ['__proto__', 'p'],
        ['constructor', 'c'],
        ['toString', 't'],
      ]) {
        const response = await lookup(name!, { Cookie: `__proto__=p; constructor=c; toString=t` });
        expect(JSON.parse(response.text)).toMatchObject({ cookie: value, hasCookie: true });
      }
    });

    it.each(PROTOTYPE_NAMES)('has no %s when no such cookie was sent', async (name) => {
      const response = await lookup(name, { Cookie: 'a=1' });
      expect(JSON.parse(response.text)).toMatchObject({ cookie: null, hasCookie: false });
    });
  });

  describe('request.META', () => {
    it.each(['constructor', 'toString', '__proto__'])('has no %s', async (name) => {
      const response = await lookup(name);
      expect(JSON.parse(response.text)).toMatchObject({ meta: null });
    });
  });

  describe('request.GET (QueryDict)', () => {
    it('reads ?__proto__=x&constructor=y back, in get(), getAll(), has() and toObject()', async () => {
      const response = await httpRequest(`${served.url}/query/?__proto__=x&constructor=y&constructor=z`);
      const found = new Map(JSON.parse(response.text) as Array<[string, Record<string, unknown>]>);
      expect(found.get('__proto__')).toMatchObject({
        query: 'x',
        queryAll: ['x'],
        hasQuery: true,
        queryObject: 'x',
      });
      expect(found.get('constructor')).toMatchObject({
        query: 'z',
        queryAll: ['y', 'z'],
        hasQuery: true,
        queryObject: 'z',
      });
      expect(found.get('toString')).toMatchObject({
        query: null,
        queryAll: [],
        hasQuery: false,
        queryObject: '<absent>',
      });
    });
  });

  describe('request.session', () => {
    /** Sets `key` to `value` in a new session, then reads `keys` back on the next request. */
    async function roundTrip(key: string, value: unknown, keys: string[]): Promise<Map<string, unknown>> {
      const query = new URLSearchParams({ key, value: JSON.stringify(value) });
      const set = await httpRequest(`${served.url}/session/set/?${query}`);
      expect(set.status).toBe(200);
      const cookie = String(set.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
      const read = new URLSearchParams(keys.map((name): [string, string] => ['key', name]));
      const got = await httpRequest(`${served.url}/session/get/?${read}`, { headers: { cookie } });
      expect(got.status).toBe(200);
      return new Map(JSON.parse(got.text) as Array<[string, unknown]>);
    }

    it('keeps a value stored under __proto__ as data, never as the prototype of the session', async () => {
      const found = await roundTrip('__proto__', { isStaff: true }, ['isStaff']);
      expect(found.get('__proto__')).toEqual({ has: true, value: { isStaff: true } });
      // Before: the stored object became the session data's prototype, so `isStaff` was "in" it.
      expect(found.get('isStaff')).toEqual({ has: false, value: null });
      expect(found.get('constructor')).toEqual({ has: false, value: null });
    });

    it('has none of the Object.prototype names in a session that never stored them', async () => {
      const found = await roundTrip('user', 'ada', []);
      for (const name of PROTOTYPE_NAMES) expect(found.get(name)).toEqual({ has: false, value: null });
    });
  });

  describe('response headers', () => {
    it.each(['__proto__', 'constructor'])('a response header named %s reaches the client', async (name) => {
      const response = await httpRequest(`${served.url}/respond/?name=${name}`);
      expect(response.status).toBe(200);
      const sent = response.rawHeaders.findIndex((header) => header.toLowerCase() === name);
      expect(sent).not.toBe(-1);
      expect(response.rawHeaders[sent + 1]).toBe('sent');
      const found = new Map(
        (JSON.parse(response.text) as Array<[string, unknown, boolean]>).map(([n, value, has]) => [
          n,
          { value, has },
        ]),
      );
      expect(found.get(name)).toEqual({ value: 'sent', has: true });
      for (const other of PROTOTYPE_NAMES.filter((n) => n !== name))
        expect(found.get(other)).toEqual({ value: null, has: false });
    });
  });
});

describe('settings named like Object.prototype members', () => {
  const parsed = (json: string): Settings => ({ ROOT_URLCONF: [], ...(JSON.parse(json) as object) });

  it('createApp takes own __proto__, constructor and toString keys as your own settings, not as ours', () => {
    const settings = parsed(
      '{"__proto__": {"DEBUG": true, "ALLOWED_HOSTS": ["*"]}, "constructor": 1, "toString": 2}',
    );
    const app = createApp(settings);
    expect(app.settings.DEBUG).toBe(false);
    expect(app.settings.ALLOWED_HOSTS).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(Object.getPrototypeOf(app.settings)).toBe(Object.prototype);
    expect(runChecks(settings)).toEqual([]);
  });

  it.each([
    ['an object without a prototype', Object.create(null) as unknown],
    ['an object whose toString is not a function', { toString: 1, valueOf: 2 }],
  ])(
    'a known setting given %s is ImproperlyConfigured naming it and E001, not a TypeError',
    (_what, value) => {
      // Cast: the point is a value of the wrong type, as a JavaScript settings file can give.
      const settings = { ROOT_URLCONF: [], DEBUG: value } as Settings;
      expect(() => createApp(settings)).toThrow(ImproperlyConfigured);
      expect(() => createApp(settings)).toThrow(/The DEBUG setting must be a boolean; got an object/);
      expect(runChecks(settings)).toEqual([
        expect.objectContaining({
          id: 'manouche.E001',
          message: expect.stringMatching(/^The DEBUG setting/),
        }),
      ]);
    },
  );
});

/** JSON in a header, percent-encoded so any text fits (header values are Latin-1). */
function toHeader(value: unknown): string {
  return encodeURIComponent(JSON.stringify(value));
}

function fromHeader(request: HttpRequest, name: string): unknown {
  return JSON.parse(decodeURIComponent(request.headers.get(name) ?? '%5B%5D'));
}

describe('properties over arbitrary names, Object.prototype names included', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      MIDDLEWARE: [SessionMiddleware],
      SECRET_KEY: 'prototype-names-properties',
      ROOT_URLCONF: [
        path('lookup/', (request) => {
          const names = fromHeader(request, 'x-names') as string[];
          return new JsonResponse(names.map((name) => lookups(request, name)));
        }),
        path('session/', (request) => {
          const names = fromHeader(request, 'x-names') as string[];
          if (request.headers.has('x-write')) {
            const [key, value] = fromHeader(request, 'x-write') as [string, unknown];
            request.session.set(key, value);
          }
          return new JsonResponse(
            names.map((name) => ({
              has: request.session.has(name),
              value: request.session.get(name) ?? null,
            })),
          );
        }),
      ],
    });
  });
  afterAll(() => served.close());

  /** A header or cookie name: an RFC 9110 token, or one of Object.prototype's names. */
  const tokenName = fc.oneof(
    fc.constantFrom(...PROTOTYPE_NAMES),
    fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}$/),
  );
  /** Any text, or one of Object.prototype's names. */
  const anyName = fc.oneof(
    fc.constantFrom(...PROTOTYPE_NAMES),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
  );
  /** A header value Node sends as it is: visible ASCII, inner spaces. */
  const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
  /** Headers that change how the request is framed or routed; never the ones under test. */
  const FRAMING = new Set([
    'host',
    'connection',
    'content-length',
    'transfer-encoding',
    'expect',
    'upgrade',
    'te',
    'trailer',
    'keep-alive',
    'cookie',
    'x-names',
  ]);

  it('request.headers answers a header by any name: its value when sent, else null, never a 500', async () => {
    const sent = fc.uniqueArray(fc.tuple(tokenName, headerValue), {
      maxLength: 4,
      selector: ([name]) => name.toLowerCase(),
    });
    await fc.assert(
      fc.asyncProperty(sent, fc.array(tokenName, { maxLength: 4 }), async (pairs, absent) => {
        const headers = pairs.filter(([name]) => !FRAMING.has(name.toLowerCase()));
        const names = [...headers.map(([name]) => name), ...absent];
        const response = await httpRequest(`${served.url}/lookup/`, {
          headers: { ...Object.fromEntries(headers), 'x-names': toHeader(names) },
        });
        expect(response.status).toBe(200);
        const found = JSON.parse(response.text) as Array<Record<string, unknown>>;
        names.forEach((name, index) => {
          const lower = name.toLowerCase();
          // Node's parser drops a `__proto__` header; every other name reads back what was sent.
          const value =
            lower === '__proto__'
              ? undefined
              : headers.find(([sentName]) => sentName.toLowerCase() === lower)?.[1];
          const expected = FRAMING.has(lower)
            ? {}
            : { header: value ?? null, hasHeader: value !== undefined };
          expect(found[index]).toMatchObject(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('request.COOKIES holds a cookie by any name: its value when sent, else absent', async () => {
    const cookieValue = fc.stringMatching(/^[!#$&-+\--:<-[\]-~]{0,12}$/); // RFC 6265 cookie-octets, no %
    const sent = fc.uniqueArray(fc.tuple(tokenName, cookieValue), {
      maxLength: 4,
      selector: ([name]) => name,
    });
    await fc.assert(
      fc.asyncProperty(sent, fc.array(tokenName, { maxLength: 4 }), async (pairs, absent) => {
        const names = [...pairs.map(([name]) => name), ...absent];
        const headers: Record<string, string> = { 'x-names': toHeader(names) };
        if (pairs.length > 0) headers.cookie = pairs.map(([name, value]) => `${name}=${value}`).join('; ');
        const response = await httpRequest(`${served.url}/lookup/`, { headers });
        expect(response.status).toBe(200);
        const found = JSON.parse(response.text) as Array<Record<string, unknown>>;
        names.forEach((name, index) => {
          const value = pairs.find(([sentName]) => sentName === name)?.[1];
          expect(found[index]).toMatchObject({ cookie: value ?? null, hasCookie: value !== undefined });
        });
      }),
      { numRuns: 60 },
    );
  });

  it('request.GET reads back every key of any query string, and nothing else', async () => {
    const fields = fc.array(fc.tuple(anyName, fc.string({ unit: 'grapheme', maxLength: 8 })), {
      maxLength: 5,
    });
    await fc.assert(
      fc.asyncProperty(fields, fc.array(anyName, { maxLength: 4 }), async (pairs, absent) => {
        const names = [...new Set([...pairs.map(([name]) => name), ...absent])];
        const query = new URLSearchParams(pairs);
        const response = await httpRequest(`${served.url}/lookup/?${query}`, {
          headers: { 'x-names': toHeader(names) },
        });
        expect(response.status).toBe(200);
        const found = JSON.parse(response.text) as Array<Record<string, unknown>>;
        names.forEach((name, index) => {
          const values = pairs.filter(([key]) => key === name).map(([, value]) => value);
          const last = values.at(-1) ?? null;
          expect(found[index]).toMatchObject({
            query: last,
            queryAll: values,
            hasQuery: values.length > 0,
            queryObject: last ?? '<absent>',
          });
        });
      }),
      { numRuns: 60 },
    );
  });

  it('request.session stores a value under any key and finds nothing under the others, across requests', async () => {
    const value = fc.jsonValue({ maxDepth: 2 });
    await fc.assert(
      fc.asyncProperty(anyName, value, fc.array(anyName, { maxLength: 4 }), async (key, stored, others) => {
        // JSON drops -0's sign; the session stores JSON.
        const expected = JSON.parse(JSON.stringify(stored)) as unknown;
        const names = [key, ...PROTOTYPE_NAMES, ...others];
        const write = await httpRequest(`${served.url}/session/`, {
          headers: { 'x-write': toHeader([key, stored]) },
        });
        expect(write.status).toBe(200);
        const cookie = String(write.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
        const read = await httpRequest(`${served.url}/session/`, {
          headers: { cookie, 'x-names': toHeader(names) },
        });
        expect(read.status).toBe(200);
        const found = JSON.parse(read.text) as Array<{ has: boolean; value: unknown }>;
        names.forEach((name, index) => {
          if (name === key) expect(found[index]).toEqual({ has: true, value: expected });
          else expect(found[index]).toEqual({ has: false, value: null });
        });
      }),
      { numRuns: 50 },
    );
  });
});

describe('createApp and the system checks, for settings with any names and values', () => {
  it('either create the app or throw ImproperlyConfigured; the checks never throw', () => {
    const name = fc.oneof(
      fc.constantFrom(...PROTOTYPE_NAMES),
      fc.constantFrom(...KNOWN_SETTINGS.filter((setting) => setting !== 'ROOT_URLCONF')),
      fc.string({ maxLength: 12 }),
    );
    const value = fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, maxDepth: 2 });
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 6 }), (entries) => {
        // Defined key by key: a `__proto__` entry is an own setting, as JSON.parse would make it.
        const settings = Object.fromEntries([['ROOT_URLCONF', []], ...entries]) as Settings;
        try {
          createApp(settings);
        } catch (error) {
          expect(error).toBeInstanceOf(ImproperlyConfigured);
        }
        expect(Array.isArray(runChecks(settings))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
