import {
  AccessLogMiddleware,
  HttpResponse,
  MiddlewareMixin,
  path,
  StreamingHttpResponse,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { overrideSettings } from '@manouche/testing';
import { httpRequest } from './support/raw-http';
import { MemoryLogger, serve, type Served } from './support/serve';
import { inStack, STACKS, type Stack } from './support/stacks';

const stack = (setting: Stack): Partial<Settings> => inStack(setting, AccessLogMiddleware);

/** A duration as the line writes it: milliseconds with one decimal. */
const MS = String.raw`\d+\.\dms`;

describe.each(STACKS)('AccessLogMiddleware in %s', (setting) => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ...stack(setting),
      ROOT_URLCONF: [
        path('hello/', () => new HttpResponse('hello')),
        path('sized/', () => new HttpResponse('abc', { headers: { 'Content-Length': '3' } })),
        path('stream/', () => new StreamingHttpResponse(['a', 'b'])),
        path('form/', (request) => new HttpResponse(`got ${request.POST.get('a') ?? ''}`)),
      ],
    });
  });
  afterAll(() => served.close());

  /** The `info` lines logged while `fn` ran. */
  async function infoLinesDuring(
    fn: () => Promise<unknown>,
    logger: MemoryLogger = served.logger,
  ): Promise<string[]> {
    const before = logger.lines.length;
    await fn();
    return logger.lines
      .slice(before)
      .filter((line) => line.level === 'info')
      .map((line) => line.message);
  }

  it('logs one info line per request: method, full path, protocol, status, length and time', async () => {
    const lines = await infoLinesDuring(() => httpRequest(`${served.url}/hello/?x=1&y=2`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(String.raw`^"GET /hello/\?x=1&y=2 HTTP/1\.1" 200 5 ${MS}$`));
  });

  it('logs the status and body length of a 404', async () => {
    const response = await httpRequest(`${served.url}/missing/`);
    const lines = served.logger.lines.filter((line) => line.level === 'info').map((line) => line.message);
    expect(lines.at(-1)).toMatch(
      new RegExp(String.raw`^"GET /missing/ HTTP/1\.1" 404 ${response.body.length} ${MS}$`),
    );
  });

  it('logs the method of a POST', async () => {
    const lines = await infoLinesDuring(() =>
      httpRequest(`${served.url}/form/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      }),
    );
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(String.raw`^"POST /form/ HTTP/1\.1" 200 5 ${MS}$`)),
    ]);
  });

  it('takes the length from Content-Length when the view set it', async () => {
    const lines = await infoLinesDuring(() => httpRequest(`${served.url}/sized/`));
    expect(lines[0]).toMatch(new RegExp(String.raw`" 200 3 ${MS}$`));
  });

  it("logs '-' as the length of a streaming body", async () => {
    const lines = await infoLinesDuring(() => httpRequest(`${served.url}/stream/`));
    expect(lines[0]).toMatch(new RegExp(String.raw`^"GET /stream/ HTTP/1\.1" 200 - ${MS}$`));
  });

  it('escapes control characters and quotes in the path, so a URL cannot forge a log line', async () => {
    const lines = await infoLinesDuring(() => httpRequest(`${served.url}/a%0A%22b`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(String.raw`^"GET /a\\n\\x22b HTTP/1\.1" 404 \d+ ${MS}$`));
  });

  it('writes to the LOGGER setting as it is at request time', async () => {
    const other = new MemoryLogger();
    const lines = await overrideSettings(served.app, { LOGGER: other }, () =>
      infoLinesDuring(() => httpRequest(`${served.url}/hello/`), other),
    );
    expect(lines).toEqual([expect.stringMatching(/^"GET \/hello\/ HTTP\/1\.1" 200 5 /)]);
  });
});

describe('AccessLogMiddleware under MIDDLEWARE_CLASSES after an earlier processRequest answered', () => {
  class Gate extends MiddlewareMixin {
    override processRequest(request: HttpRequest): HttpResponse | null {
      return request.path === '/closed/' ? new HttpResponse('closed', { status: 503 }) : null;
    }
  }
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      MIDDLEWARE_CLASSES: [Gate, AccessLogMiddleware],
      ROOT_URLCONF: [path('closed/', () => new HttpResponse('never'))],
    });
  });
  afterAll(() => served.close());

  it("still logs the request (every processResponse runs) with '-' as its time", async () => {
    const response = await httpRequest(`${served.url}/closed/`);
    expect(response.status).toBe(503);
    const lines = served.logger.lines.filter((line) => line.level === 'info').map((line) => line.message);
    expect(lines).toEqual(['"GET /closed/ HTTP/1.1" 503 6 -']);
  });
});
