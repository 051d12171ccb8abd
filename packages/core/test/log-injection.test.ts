import {
  AccessLogMiddleware,
  BadRequest,
  CommonMiddleware,
  csrfExempt,
  CsrfViewMiddleware,
  escapeForLog,
  HttpResponse,
  JsonResponse,
  path,
  type HttpRequest,
  type MiddlewareFactory,
} from '@manouche/core';
import { connect } from 'node:net';
import fc from './support/fast-check';
import { httpRequest, rawExchange, until } from './support/raw-http';
import { serve, type MemoryLogger, type Served } from './support/serve';

// Every line the framework logs quotes something the client chose (the path, a header, a body). A
// client that puts CR/LF in it must not be able to write a second, forged line, nor drive the
// terminal that shows the log with ANSI escapes: each value is escaped where it is logged.

/**
 * A raw character that would break or disguise a line: C0 controls (CR, LF, NUL, ESC...), DEL, C1
 * controls (NEL, the 8-bit CSI), the Unicode line and paragraph separators and the bidi overrides.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** What an attacker appends: a forged line, a colour escape, NUL, DEL, C1 controls and separators. */
const FORGED = '\r\n[FORGED] Internal Server Error: /admin/\x1b[31m\x00\x7f\u0085\u009b\u2028\u202e';
/** The same without LF, for paths that must still resolve (`<path:...>` refuses a newline, as in Django). */
const FORGED_NO_LF = FORGED.replace('\n', '');

/** The bytes of a request head; header values may carry bytes 0x80-0xff (latin1), as Node allows. */
function head(requestLine: string, headers: Record<string, string> = {}): Buffer {
  const fields = Object.entries({ Host: '127.0.0.1', Connection: 'close', ...headers });
  const lines = [requestLine, ...fields.map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Percent-encodes `text` for a request target (every byte of its UTF-8 form that is not plain). */
function encoded(text: string): string {
  return encodeURIComponent(text);
}

/**
 * The lines logged since `before`: exactly one, with no raw control character, matching `pattern`
 * (written over the escaped text, so `\\r\\n` is a backslash, `r`, a backslash, `n`).
 */
function expectOneEscapedLine(logger: MemoryLogger, before: number, pattern: RegExp): string {
  const lines = logger.messages().slice(before);
  expect(lines).toHaveLength(1);
  const line = lines[0]!;
  expect(line).not.toMatch(RAW_CONTROL);
  expect(line).toMatch(pattern);
  return line;
}

/** Reads an escaped value back (the inverse of escapeForLog), to show nothing is ambiguous. */
function unescapeLog(text: string): string {
  return text.replace(
    /\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|(.))/g,
    (_all, hex2?: string, hex4?: string, short?: string) => {
      if (hex2 !== undefined || hex4 !== undefined) return String.fromCharCode(parseInt(hex2 ?? hex4!, 16));
      return { t: '\t', n: '\n', r: '\r', '\\': '\\' }[short as 't' | 'n' | 'r' | '\\'];
    },
  );
}

describe('escapeForLog', () => {
  it.each([
    ['CR and LF', 'a\r\nb', 'a\\r\\nb'],
    ['tab', 'a\tb', 'a\\tb'],
    ['NUL', 'a\x00b', 'a\\x00b'],
    ['an ANSI colour escape', '\x1b[31mred', '\\x1b[31mred'],
    ['DEL', '\x7f', '\\x7f'],
    ['C1 controls (NEL, the 8-bit CSI)', '\u0085\u009b', '\\x85\\x9b'],
    ['the line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
    ['a bidi override and isolate', '\u202eabc\u2066', '\\u202eabc\\u2066'],
    ['a backslash, doubled so a typed \\n is not a newline', 'a\\nb', 'a\\\\nb'],
  ])('writes %s visibly', (_what, raw, logged) => {
    expect(escapeForLog(raw)).toBe(logged);
  });

  it('leaves printable text as it is, accents, other scripts and emoji included', () => {
    const text = '/caf\u00e9/\u65e5\u672c/\u{1f600}?q="a b"&x=1';
    expect(escapeForLog(text)).toBe(text);
  });

  it('gives, for any text, a line with no raw control character that reads back exactly', () => {
    const character = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 1 }),
      fc.constantFrom('\\', '\\x1b', '\\n', '\r', '\n', '\u2028', '\u0085', '\u202e', '\x1b'),
    );
    fc.assert(
      fc.property(fc.array(character, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const logged = escapeForLog(text);
        expect(logged).not.toMatch(RAW_CONTROL);
        expect(unescapeLog(logged)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Throws for every path under /boom, before any view: the 500 of a broken middleware. */
const breaksUnderBoom: MiddlewareFactory = (getResponse) => (request: HttpRequest) => {
  if (request.path.startsWith('/boom')) throw new Error('middleware failure');
  return getResponse(request);
};

describe('log lines quote client input escaped, one line each, over a real socket', () => {
  let served: Served;
  let before: number;

  beforeAll(async () => {
    served = await serve({
      MIDDLEWARE: [breaksUnderBoom, CommonMiddleware, CsrfViewMiddleware],
      DISALLOWED_USER_AGENTS: [/EvilBot/],
      DATA_UPLOAD_MAX_MEMORY_SIZE: 1024,
      ROOT_URLCONF: [
        path(
          'json/',
          csrfExempt((request) => new JsonResponse(request.json())),
        ),
        path('refuse/', (request) => {
          throw new BadRequest(`unknown option ${request.GET.get('option') ?? ''}`);
        }),
        path('upload/', (request) => new HttpResponse(String(request.body.length))),
        path('any/<path:rest>', () => new HttpResponse('ok')),
      ],
    });
  });
  afterAll(() => served.close());
  beforeEach(() => {
    before = served.logger.lines.length;
  });

  it('escapes the path in the Not Found warning', async () => {
    const response = await rawExchange(served.port, head(`GET /missing/${encoded(FORGED)} HTTP/1.1`));
    expect(response.status).toBe(404);
    expectOneEscapedLine(
      served.logger,
      before,
      /^Not Found: \/missing\/\\r\\n\[FORGED\] .*\\x1b\[31m\\x00\\x7f/,
    );
  });

  it('escapes the path in the Internal Server Error line', async () => {
    const response = await rawExchange(served.port, head(`GET /boom/${encoded(FORGED)} HTTP/1.1`));
    expect(response.status).toBe(500);
    expectOneEscapedLine(served.logger, before, /^Internal Server Error: \/boom\/\\r\\n\[FORGED\]/);
    expect(served.logger.lines.at(-1)!.level).toBe('error');
  });

  it("escapes the exception's message in a 4xx warning (a view quoting the query string)", async () => {
    const response = await rawExchange(served.port, head(`GET /refuse/?option=${encoded(FORGED)} HTTP/1.1`));
    expect(response.status).toBe(400);
    expectOneEscapedLine(served.logger, before, /^Bad Request: \/refuse\/ \(unknown option \\r\\n\[FORGED\]/);
  });

  it('escapes the JSON parser message, which quotes the body, in the 400 warning', async () => {
    const body = `x${FORGED}`;
    const response = await httpRequest(`${served.url}/json/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expectOneEscapedLine(
      served.logger,
      before,
      /^Bad Request: \/json\/ \(Invalid JSON body: .*"x\\r\\n\[FORGED"\.\.\. is not valid JSON\)$/,
    );
  });

  it('escapes the path in the DisallowedHost warning, and the Host header it quotes', async () => {
    const response = await rawExchange(
      served.port,
      head(`GET /any/${encoded(FORGED)} HTTP/1.1`, { Host: 'evil.example\x9b31m\x85' }),
    );
    expect(response.status).toBe(400);
    const line = expectOneEscapedLine(served.logger, before, /^Bad Request: \/any\/\\r\\n\[FORGED\]/);
    expect(line).toContain('evil.example\\x9b31m\\x85');
  });

  it('escapes the path in the disallowed user agent warning', async () => {
    const response = await rawExchange(
      served.port,
      head(`GET /any/${encoded(FORGED)} HTTP/1.1`, { 'User-Agent': 'EvilBot\x9b31m' }),
    );
    expect(response.status).toBe(403);
    expectOneEscapedLine(
      served.logger,
      before,
      /^Forbidden: \/any\/\\r\\n\[FORGED\].* \(Forbidden user agent\)$/,
    );
  });

  it('escapes the path and the Origin in the CSRF refusal', async () => {
    const response = await rawExchange(
      served.port,
      head(`POST /any/${encoded(FORGED_NO_LF)} HTTP/1.1`, {
        Origin: 'http://evil.example\x9b31m\x85',
        'Content-Length': '0',
      }),
    );
    expect(response.status).toBe(403);
    expectOneEscapedLine(
      served.logger,
      before,
      /^Forbidden \(Origin checking failed - http:\/\/evil\.example\\x9b31m\\x85 does not match any trusted origins\.\): \/any\/\\r\[FORGED\]/,
    );
  });

  it('escapes the path in the CSRF refusal of a POST without a cookie', async () => {
    const response = await rawExchange(
      served.port,
      head(`POST /any/${encoded(FORGED_NO_LF)} HTTP/1.1`, { 'Content-Length': '0' }),
    );
    expect(response.status).toBe(403);
    expectOneEscapedLine(served.logger, before, /^Forbidden \(CSRF cookie not set\.\): \/any\/\\r\[FORGED\]/);
  });

  it('logs a client that leaves in the middle of its body as one clean line', async () => {
    const socket = connect(served.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      head(`POST /upload/${encoded(FORGED)} HTTP/1.1`, {
        'Content-Length': '500',
        'Content-Type': 'application/octet-stream',
      }),
    );
    // Once the part is handed to the kernel, the client leaves: the server reads it, then the end.
    socket.write('only part of it', () => socket.destroy());
    await until(() => served.logger.lines.length > before);
    expectOneEscapedLine(
      served.logger,
      before,
      /^Client disconnected while sending the body of POST \/upload\//,
    );
  });

  it('logs a request the parser refuses as one clean line', async () => {
    const response = await rawExchange(
      served.port,
      Buffer.concat([Buffer.from('GET /a'), Buffer.from([0x1b, 0x9b]), Buffer.from(' HTTP/1.1\r\n\r\n')]),
    );
    expect(response.status).toBe(400);
    expectOneEscapedLine(served.logger, before, /^Bad Request: refused unparseable request from /);
  });
});

describe('the access log escapes the same way', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({ MIDDLEWARE: [AccessLogMiddleware], ROOT_URLCONF: [] });
  });
  afterAll(() => served.close());

  it('writes one line, with controls, separators, quotes and backslashes escaped', async () => {
    const before = served.logger.lines.length;
    await rawExchange(served.port, head(`GET /${encoded(`${FORGED}"\\`)} HTTP/1.1`));
    await until(() => served.logger.at('info').length > 0);
    const infos = served.logger.lines.slice(before).filter((line) => line.level === 'info');
    expect(infos).toHaveLength(1);
    expect(infos[0]!.message).not.toMatch(RAW_CONTROL);
    expect(infos[0]!.message).toMatch(
      /^"GET \/\\r\\n\[FORGED\] Internal Server Error: \/admin\/\\x1b\[31m\\x00\\x7f\\x85\\x9b\\u2028\\u202e\\x22\\\\ HTTP\/1\.1" 404 /,
    );
  });
});

describe('the default logger (stderr) writes a trace whose first line quotes client input', () => {
  let served: Served;
  let written: string[];
  let restore: () => void;

  beforeAll(async () => {
    served = await serve({
      // No LOGGER: consoleLogger, which writes the error's trace after the line.
      LOGGER: undefined,
      ROOT_URLCONF: [
        path('fail/', (request) => {
          throw new Error(`no such item ${request.GET.get('item') ?? ''}`);
        }),
      ],
    });
  });
  afterAll(() => served.close());

  beforeEach(() => {
    written = [];
    const write = process.stderr.write.bind(process.stderr);
    // Capturing stderr itself (Node's stream, not one of ours): what an operator's terminal receives.
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    restore = () => {
      process.stderr.write = write;
    };
  });
  afterEach(() => restore());

  it('escapes the message in the trace, so only the "at" lines follow the logged line', async () => {
    const response = await rawExchange(served.port, head(`GET /fail/?item=${encoded(FORGED)} HTTP/1.1`));
    restore();
    expect(response.status).toBe(500);
    const output = written.filter((chunk) => chunk.startsWith('Internal Server Error: /fail/'));
    expect(output).toHaveLength(1);
    const [line, message, ...frames] = output[0]!.trimEnd().split('\n');
    expect(line).toBe('Internal Server Error: /fail/');
    expect(message).toMatch(/^Error: no such item \\r\\n\[FORGED\] .*\\x1b\[31m/);
    expect(message).not.toMatch(RAW_CONTROL);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame).toMatch(/^ {4}at /);
  });
});
