import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  createApp,
  EventStreamResponse,
  formatEvent,
  GZipMiddleware,
  HttpRequest,
  path,
  type ServerSentEvent,
} from '@manouche/core';
import { httpRequest, until } from './support/raw-http';
import { serve, type Served } from './support/serve';
import { inStack, STACKS } from './support/stacks';

jest.setTimeout(20_000);

/** Opens a request and resolves once the head arrived; the body is left to the caller. */
function openStream(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Reads a stream's text as it comes, so a test can wait for a given piece of it. */
function reader(res: IncomingMessage): { text: () => string; waitFor: (piece: string) => Promise<void> } {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  return { text: () => text, waitFor: (piece) => until(() => text.includes(piece)) };
}

describe('formatEvent()', () => {
  it('puts each line of the data on its own data: line, whatever the line break', () => {
    expect(formatEvent('one\ntwo\r\nthree\rfour')).toBe('data: one\ndata: two\ndata: three\ndata: four\n\n');
  });

  it('writes event, id and retry before the data', () => {
    const event: ServerSentEvent = { data: '{"a":1}', event: 'comment', id: 7, retry: 2000 };
    expect(formatEvent(event)).toBe('event: comment\nid: 7\nretry: 2000\ndata: {"a":1}\n\n');
  });

  it('removes CR, LF and NUL from an id or event name, so neither can forge an event', () => {
    const text = formatEvent({ data: 'x', id: '1\n\ndata: forged\n\n', event: 'a\r\nid: 9' });
    expect(text).toBe('event: aid: 9\nid: 1data: forged\ndata: x\n\n');
    expect(text.split('\n\n')).toEqual(['event: aid: 9\nid: 1data: forged\ndata: x', '']);
  });

  it('leaves out a retry that is not a non-negative integer', () => {
    expect(formatEvent({ data: 'x', retry: -1 })).toBe('data: x\n\n');
    expect(formatEvent({ data: 'x', retry: 1.5 })).toBe('data: x\n\n');
  });
});

describe('EventStreamResponse', () => {
  it('is a text/event-stream that no cache or proxy buffers', () => {
    const response = new EventStreamResponse([]);
    expect(response.streaming).toBe(true);
    expect(response.headers.get('Content-Type')).toBe('text/event-stream');
    expect(response.headers.get('Cache-Control')).toBe('no-cache');
    expect(response.headers.get('X-Accel-Buffering')).toBe('no');
  });

  it('streams strings and event objects from a sync iterable, after an opening comment', async () => {
    const response = new EventStreamResponse(['hello', { data: 'two\nlines', id: 2 }]);
    expect((await response.collect()).toString()).toBe(
      ':\n\ndata: hello\n\nid: 2\ndata: two\ndata: lines\n\n',
    );
  });

  it('reads Last-Event-ID from the request headers, in process', async () => {
    const app = createApp({
      ROOT_URLCONF: [
        path(
          'events/',
          (request) => new EventStreamResponse([`from ${request.headers.get('Last-Event-ID')}`]),
        ),
      ],
    });
    const response = (await app.handle(
      new HttpRequest({ path: '/events/', headers: { 'Last-Event-ID': '41' } }),
    )) as EventStreamResponse;
    expect((await response.collect()).toString()).toBe(':\n\ndata: from 41\n\n');
  });
});

describe.each(STACKS)('EventStreamResponse over a real socket in %s', (stack) => {
  let served: Served;
  let release: (event: string) => void = () => undefined;
  let sourceReturned: Promise<void> = Promise.resolve();

  /** A source that yields each event `release()` hands it, and says when its `finally` ran. */
  function controlledSource(): AsyncIterable<string> {
    let markReturned!: () => void;
    sourceReturned = new Promise((resolve) => (markReturned = resolve));
    const pending: string[] = [];
    let wake: (() => void) | null = null;
    release = (event) => {
      pending.push(event);
      wake?.();
    };
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          while (pending.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          return { done: false, value: pending.shift()! };
        },
        return: async () => {
          markReturned();
          return { done: true, value: undefined };
        },
      }),
    };
  }

  beforeAll(async () => {
    served = await serve({
      ...inStack(stack, GZipMiddleware),
      EVENT_STREAM_HEARTBEAT_INTERVAL: 0,
      ROOT_URLCONF: [
        path('live/', () => new EventStreamResponse(controlledSource())),
        path('resume/', (request) => {
          const since = Number(request.headers.get('Last-Event-ID') ?? 0);
          return new EventStreamResponse([since + 1, since + 2].map((id) => ({ data: `n${id}`, id })));
        }),
        path('beats/', () => new EventStreamResponse(controlledSource(), { heartbeatInterval: 20 })),
        path('flood/', () => {
          async function* flood(): AsyncGenerator<string> {
            let markReturned!: () => void;
            sourceReturned = new Promise((resolve) => (markReturned = resolve));
            try {
              for (;;) {
                yield 'x'.repeat(4096);
                await new Promise((resolve) => setImmediate(resolve));
              }
            } finally {
              markReturned();
            }
          }
          return new EventStreamResponse(flood(), { maxBuffered: 64 * 1024 });
        }),
      ],
    });
  });

  afterAll(() => served.close());

  it('sends each event when it is produced, uncompressed even to a gzip client', async () => {
    const res = await openStream(`${served.url}/live/`, { 'accept-encoding': 'gzip' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const stream = reader(res);
    release('first');
    await stream.waitFor('data: first\n\n');
    release('second');
    await stream.waitFor('data: second\n\n');
    expect(stream.text()).toBe(':\n\ndata: first\n\ndata: second\n\n');
    res.destroy();
    await sourceReturned;
  });

  it("returns the source's iterator as soon as the client leaves, even while it waits for an event", async () => {
    const res = await openStream(`${served.url}/live/`);
    const stream = reader(res);
    await stream.waitFor(':\n\n');
    res.destroy();
    // The source never produces again: only the client leaving can end it.
    await sourceReturned;
  });

  it('resumes from Last-Event-ID', async () => {
    const response = await httpRequest(`${served.url}/resume/`, { headers: { 'Last-Event-ID': '41' } });
    expect(response.text).toBe(':\n\nid: 42\ndata: n42\n\nid: 43\ndata: n43\n\n');
  });

  it('sends comment heartbeats on a quiet stream', async () => {
    const res = await openStream(`${served.url}/beats/`);
    const stream = reader(res);
    await stream.waitFor(':\n\n:\n\n:\n\n');
    release('between beats');
    await stream.waitFor('data: between beats\n\n');
    res.destroy();
    await sourceReturned;
  });

  it('closes the stream of a client that does not read, past maxBuffered, with one warning', async () => {
    const socket: Socket = connect(served.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.pause(); // never reads: the kernel buffers fill, then the server's queue
    socket.write('GET /flood/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => served.logger.at('warn').some((line) => line.includes('/flood/')));
    await sourceReturned;
    const warnings = served.logger.at('warn').filter((line) => line.includes('/flood/'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Event stream \/flood\/: client not reading \(\d+ bytes waiting, over EVENT_STREAM_MAX_BUFFERED 65536\); the stream is closed$/,
    );
    socket.destroy();
  });
});
