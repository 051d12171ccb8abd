import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import {
  createSelfSignedCertificate,
  CsrfViewMiddleware,
  EventStreamResponse,
  getToken,
  HttpResponse,
  path,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { acceptWebsocket, WebSocketMiddleware, type LongPollAnswer } from '@manouche/websocket';
import { deferred, serve, until, type Deferred, type Served } from './support/serve';

jest.setTimeout(20_000);

const tls = createSelfSignedCertificate();

interface StreamEvent {
  event: string;
  data: string;
  id: string | null;
}

/** One HTTP/2 stream's answer read as it arrives: its headers, raw text, and the events in it. */
class Http2Reader {
  status = 0;
  contentType = '';
  text = '';
  readonly events: StreamEvent[] = [];
  ended = false;
  #buffer = '';

  constructor(readonly stream: ClientHttp2Stream) {
    stream.setEncoding('utf8');
    stream.on('response', (headers) => {
      this.status = Number(headers[constants.HTTP2_HEADER_STATUS]);
      this.contentType = String(headers['content-type'] ?? '');
    });
    stream.on('data', (chunk: string) => this.#parse(chunk));
    stream.on('close', () => (this.ended = true));
    stream.on('error', () => undefined);
  }

  async next(): Promise<StreamEvent> {
    await until(() => this.events.length > 0 || this.ended);
    const event = this.events.shift();
    if (event === undefined) throw new Error('the stream ended');
    return event;
  }

  /** Parsed as EventSource would: comment lines skipped, `data` lines joined. */
  #parse(chunk: string): void {
    this.text += chunk;
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const event: StreamEvent = { event: 'message', data: '', id: null };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(': ');
        const [field, value] = colon === -1 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 2)];
        if (field === 'data') data.push(value);
        else if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
      }
      if (data.length > 0) this.events.push({ ...event, data: data.join('\n') });
    }
  }
}

async function openSession(origin: string): Promise<ClientHttp2Session> {
  const session = connect(origin, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

describe('push transports over HTTP/2 with TLS', () => {
  let served: Served;
  let session: ClientHttp2Session;
  let csrf = { token: '', cookie: '' };
  /** Each value the ticking source yields is announced here; its `finally` resolves `returned`. */
  let returned: Deferred<void>;
  let ended: Deferred<number | null>;
  let release: Deferred<void>;

  /**
   * An endless source: one event, the second once `release` resolves, then nothing. Hand-written
   * rather than a generator so that `return()` reaches it while it waits (a generator would only see
   * it after its pending await).
   */
  function ticks(): AsyncIterable<{ data: string; id: string }> {
    const events = [
      { data: 'first\nsecond', id: '1' },
      { data: 'after release', id: '2' },
    ];
    let produced = 0;
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (produced === 1) await release.promise;
          if (produced >= events.length) await new Promise<void>(() => undefined);
          return { done: false, value: events[produced++]! };
        },
        return: async () => {
          returned.resolve();
          return { done: true, value: undefined };
        },
      }),
    };
  }

  const echo = acceptWebsocket({ fallback: ['sse', 'longpoll'] })(async (request: HttpRequest) => {
    const ws = request.websocket;
    if (ws === null) return new HttpResponse('plain HTTP');
    await ws.send(`transport ${ws.transport} over ${request.META.SERVER_PROTOCOL ?? '?'}`);
    try {
      for await (const message of ws) {
        if (message === 'close please') return ws.close(4000, 'asked');
        await ws.send(message);
      }
    } finally {
      // The close code is known once the client has been told it (the next poll, for long polling).
      void ws.ended.then(() => ended.resolve(ws.closeCode));
    }
    return undefined;
  });

  beforeAll(async () => {
    const settings: Settings = {
      MIDDLEWARE: [CsrfViewMiddleware, WebSocketMiddleware],
      ROOT_URLCONF: [
        path('ticks/', () => new EventStreamResponse(ticks(), { heartbeatInterval: 20 })),
        path('echo/', echo),
        path('token/', (request) => new HttpResponse(getToken(request))),
      ],
    };
    served = await serve(settings, { tls, http2: true });
    session = await openSession(served.url);
    // The token and its cookie from one answer: each fresh request would get a cookie of its own.
    const token = new Http2Reader(session.request({ ':path': '/token/' }));
    const cookie = new Promise<string>((resolve) =>
      token.stream.once('response', (headers) => resolve(String(headers['set-cookie'] ?? ''))),
    );
    await until(() => token.ended);
    csrf = { token: token.text, cookie: (await cookie).split(';')[0]! };
  });

  afterAll(async () => {
    session.close();
    await served.close();
  });

  beforeEach(() => {
    returned = deferred();
    ended = deferred();
    release = deferred();
  });

  function get(target: string, headers: Record<string, string> = {}): Http2Reader {
    return new Http2Reader(session.request({ ':path': target, ...headers }));
  }

  /** A POST on the session carrying the CSRF cookie and token, answered with its status. */
  async function post(target: string, body: string | Buffer, contentType = 'text/plain'): Promise<number> {
    const stream = session.request({
      ':method': 'POST',
      ':path': target,
      'content-type': contentType,
      'x-csrftoken': csrf.token,
      cookie: csrf.cookie,
      // Over HTTPS, CSRF checks the Origin too, as Django does.
      origin: served.url,
    });
    const reader = new Http2Reader(stream);
    stream.end(body);
    await until(() => reader.ended);
    return reader.status;
  }

  it('delivers an EventStreamResponse over HTTP/2: its events and heartbeat comments', async () => {
    const stream = get('/ticks/', { accept: 'text/event-stream' });
    expect(await stream.next()).toEqual({ event: 'message', data: 'first\nsecond', id: '1' });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream');
    // The source is waiting: only heartbeat comments keep the stream alive meanwhile.
    await until(() => stream.text.split('\n').filter((line) => line.startsWith(':')).length >= 2);
    release.resolve();
    expect(await stream.next()).toEqual({ event: 'message', data: 'after release', id: '2' });
    stream.stream.close(constants.NGHTTP2_CANCEL);
    await returned.promise;
  });

  it('returns the source of an EventStreamResponse when the client resets the stream', async () => {
    const stream = get('/ticks/', { accept: 'text/event-stream' });
    await stream.next();
    stream.stream.close(constants.NGHTTP2_CANCEL);
    // The generator is parked on `release`, which never comes: only a return ends it.
    await returned.promise;
    expect(session.closed).toBe(false);
  });

  it('serves a WebSocket view over SSE on HTTP/2: messages both ways, close code mapped', async () => {
    const stream = get('/echo/?_transport=sse', { accept: 'text/event-stream' });
    const open = await stream.next();
    expect(open.event).toBe('connected');
    const { id } = JSON.parse(open.data) as { id: string };
    expect((await stream.next()).data).toBe('transport sse over HTTP/2.0');

    const target = `/echo/?_transport=sse&_connection=${id}`;
    expect(await post(`${target}&_seq=1`, 'hello over h2')).toBe(204);
    expect(await stream.next()).toEqual({ event: 'message', data: 'hello over h2', id: '2' });
    expect(await post(`${target}&_seq=2`, Buffer.from([0, 255]), 'application/octet-stream')).toBe(204);
    expect(await stream.next()).toEqual({
      event: 'binary',
      data: Buffer.from([0, 255]).toString('base64'),
      id: '3',
    });
    expect(await post(`${target}&_seq=3`, 'close please')).toBe(204);
    expect(await stream.next()).toEqual({
      event: 'close',
      data: JSON.stringify({ code: 4000, reason: 'asked' }),
      id: null,
    });
    await until(() => stream.ended);
    expect(await ended.promise).toBe(4000);
  });

  it('serves a WebSocket view by long polling on HTTP/2: messages both ways, close code mapped', async () => {
    const read = async (target: string): Promise<LongPollAnswer> => {
      const reader = get(target);
      await until(() => reader.ended);
      expect(reader.status).toBe(200);
      return JSON.parse(reader.text) as LongPollAnswer;
    };
    const opened = await read('/echo/?_transport=longpoll');
    const base = `/echo/?_transport=longpoll&_connection=${opened.id}`;
    expect((await read(`${base}&_last=0`)).messages).toEqual([
      { seq: 1, text: 'transport longpoll over HTTP/2.0' },
    ]);
    // A poll held open on one stream while a POST travels on another of the same connection.
    const held = read(`${base}&_last=1`);
    expect(await post(`${base}&_seq=1`, 'hello over h2')).toBe(204);
    expect((await held).messages).toEqual([{ seq: 2, text: 'hello over h2' }]);

    expect(await post(`${base}&_seq=2`, 'close please')).toBe(204);
    const last = await read(`${base}&_last=2`);
    expect(last.close).toEqual({ code: 4000, reason: 'asked' });
    expect(await ended.promise).toBe(4000);
  });
});
