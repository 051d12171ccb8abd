import { request as httpRequest, type IncomingMessage } from 'node:http';
import {
  CsrfViewMiddleware,
  getToken,
  HttpResponse,
  path,
  type Application,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import {
  acceptWebsocket,
  countFallbackConnections,
  getChannelLayer,
  requireWebsocket,
  WebSocketMiddleware,
  type LongPollAnswer,
} from '@manouche/websocket';
import { deferred, serve, until, type Deferred, type Served } from './support/serve';

jest.setTimeout(20_000);

interface StreamEvent {
  event: string;
  data: string;
  id: string | null;
}

/** An event stream read with node:http, parsed as EventSource would (comments skipped). */
class EventReader {
  readonly events: StreamEvent[] = [];
  ended = false;
  #buffer = '';
  constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.#parse(chunk));
    response.on('end', () => (this.ended = true));
    response.on('close', () => (this.ended = true));
  }

  async next(): Promise<StreamEvent> {
    await until(() => this.events.length > 0 || this.ended);
    const event = this.events.shift();
    if (event === undefined) throw new Error('the stream ended');
    return event;
  }

  #parse(chunk: string): void {
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

function openEvents(url: string, headers: Record<string, string> = {}): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { headers: { accept: 'text/event-stream', ...headers }, agent: false },
      (res) => resolve(new EventReader(res)),
    );
    req.on('error', reject);
    req.end();
  });
}

describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('fallback transports in %s', (mode) => {
  let served: Served;
  let ended: Deferred<number | null> = deferred();
  // A session-free CSRF token and its cookie, for the POSTs.
  let csrf = { token: '', cookie: '' };

  /** The same view body for every transport: an echo that names its transport first. */
  const echo = acceptWebsocket({ fallback: ['sse', 'longpoll'], protocols: ['echo.v1'] })(async (
    request: HttpRequest,
  ) => {
    const ws = request.websocket;
    if (ws === null) return new HttpResponse('plain HTTP');
    await getChannelLayer(request.app as Application).groupAdd('news', ws);
    await ws.send(`transport ${ws.transport} protocol ${ws.protocol || '-'}`);
    try {
      for await (const message of ws) {
        if (message === 'close please') return ws.close(4000, 'asked');
        if (message === 'throw') throw new Error('the view failed');
        await ws.send(message);
      }
    } finally {
      ended.resolve(ws.closeCode);
    }
    return undefined;
  });

  const onlySockets = requireWebsocket({ fallback: ['longpoll'] })(async (request: HttpRequest) => {
    await request.websocket!.send('only sockets, or long polling');
  });

  async function post(
    url: string,
    body: string | Buffer,
    contentType = 'text/plain',
    withToken = true,
  ): Promise<Response> {
    return fetch(url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': contentType,
        ...(withToken ? { 'X-CSRFToken': csrf.token, Cookie: csrf.cookie } : {}),
      },
    });
  }

  beforeAll(async () => {
    const settings: Settings = {
      [mode]: [CsrfViewMiddleware, WebSocketMiddleware],
      WEBSOCKET_FALLBACK_IDLE_TIMEOUT: 2000,
      ROOT_URLCONF: [
        path('echo/', echo),
        path('only-sockets/', onlySockets),
        path('token/', (request) => new HttpResponse(getToken(request))),
        path('news/', async (request) => {
          await getChannelLayer(request.app as Application).groupSend('news', request.GET.get('text') ?? '');
          return new HttpResponse('sent');
        }),
      ],
    };
    served = await serve(settings);
    const response = await fetch(`${served.url}/token/`);
    csrf = { token: await response.text(), cookie: response.headers.get('set-cookie')!.split(';')[0]! };
  });

  afterAll(() => served.close());

  beforeEach(() => {
    ended = deferred();
  });

  it('serves the view over SSE: messages out as events, POSTs in, text and binary apart, close mapped', async () => {
    const stream = await openEvents(`${served.url}/echo/?_transport=sse&_protocols=echo.v1`);
    expect(stream.response.headers['content-type']).toBe('text/event-stream');
    const open = await stream.next();
    expect(open.event).toBe('connected');
    const { id, protocol } = JSON.parse(open.data) as { id: string; protocol: string };
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(protocol).toBe('echo.v1');
    expect(await stream.next()).toEqual({
      event: 'message',
      data: 'transport sse protocol echo.v1',
      id: '1',
    });

    const target = `${served.url}/echo/?_transport=sse&_connection=${id}`;
    expect((await post(`${target}&_seq=1`, 'two\nlines')).status).toBe(204);
    expect(await stream.next()).toEqual({ event: 'message', data: 'two\nlines', id: '2' });
    expect(
      (await post(`${target}&_seq=2`, Buffer.from([0, 1, 255]), 'application/octet-stream')).status,
    ).toBe(204);
    expect(await stream.next()).toEqual({
      event: 'binary',
      data: Buffer.from([0, 1, 255]).toString('base64'),
      id: '3',
    });

    expect((await post(`${target}&_seq=3`, 'close please')).status).toBe(204);
    expect(await stream.next()).toEqual({
      event: 'close',
      data: JSON.stringify({ code: 4000, reason: 'asked' }),
      id: null,
    });
    await until(() => stream.ended);
    expect(await ended.promise).toBe(4000);
    expect(countFallbackConnections(served.app)).toBe(0);
  });

  it('serves the view by long polling, taking a retried POST once', async () => {
    const opened = (await (await fetch(`${served.url}/echo/?_transport=longpoll`)).json()) as LongPollAnswer;
    expect(opened.messages).toEqual([]);
    expect(opened.protocol).toBe('');
    const base = `${served.url}/echo/?_transport=longpoll&_connection=${opened.id}`;
    const poll = async (last: number): Promise<LongPollAnswer> =>
      (await (await fetch(`${base}&_last=${last}`)).json()) as LongPollAnswer;

    expect((await poll(0)).messages).toEqual([{ seq: 1, text: 'transport longpoll protocol -' }]);
    expect((await post(`${base}&_seq=1`, 'once')).status).toBe(204);
    expect((await post(`${base}&_seq=1`, 'once')).status).toBe(204);
    expect((await post(`${base}&_seq=2`, Buffer.from('bytes'), 'application/octet-stream')).status).toBe(204);
    const answer = await poll(1);
    const later =
      answer.messages.length < 2 ? [...answer.messages, ...(await poll(2)).messages] : answer.messages;
    expect(later).toEqual([
      { seq: 2, text: 'once' },
      { seq: 3, binary: Buffer.from('bytes').toString('base64') },
    ]);
    // A lost answer is sent again: the client says what it has.
    expect((await poll(1)).messages.map((message) => message.seq)).toEqual([2, 3]);

    expect((await post(`${base}&_close=1000`, 'bye')).status).toBe(204);
    expect(await ended.promise).toBe(1000);
    expect((await fetch(`${base}&_last=3`)).status).toBe(404);
  });

  it('holds a long poll until a group message arrives', async () => {
    const opened = (await (await fetch(`${served.url}/echo/?_transport=longpoll`)).json()) as LongPollAnswer;
    const base = `${served.url}/echo/?_transport=longpoll&_connection=${opened.id}`;
    expect((await (await fetch(`${base}&_last=0`)).json()) as LongPollAnswer).toMatchObject({
      messages: [{ seq: 1 }],
    });
    const held = fetch(`${base}&_last=1`).then((response) => response.json() as Promise<LongPollAnswer>);
    await fetch(`${served.url}/news/?text=extra`);
    expect((await held).messages).toEqual([{ seq: 2, text: 'extra' }]);
    await post(`${base}&_close=1000`, '');
  });

  it('delivers group messages over SSE exactly as over a WebSocket', async () => {
    const stream = await openEvents(`${served.url}/echo/?_transport=sse`);
    const { id } = JSON.parse((await stream.next()).data) as { id: string };
    await stream.next();
    await fetch(`${served.url}/news/?text=${encodeURIComponent('to everyone')}`);
    expect((await stream.next()).data).toBe('to everyone');
    await post(`${served.url}/echo/?_transport=sse&_connection=${id}&_close=1000`, '');
    expect((await stream.next()).event).toBe('close');
  });

  it('resumes an event stream after a drop, from the last id the client has', async () => {
    const first = await openEvents(`${served.url}/echo/?_transport=sse`);
    const { id } = JSON.parse((await first.next()).data) as { id: string };
    expect((await first.next()).id).toBe('1');
    first.response.destroy();
    const target = `${served.url}/echo/?_transport=sse&_connection=${id}`;
    await post(`${target}&_seq=1`, 'while away');
    const again = await openEvents(target, { 'Last-Event-ID': '1' });
    expect((await again.next()).event).toBe('connected');
    expect(await again.next()).toEqual({ event: 'message', data: 'while away', id: '2' });
    await post(`${target}&_close=1000`, '');
    expect((await again.next()).event).toBe('close');
  });

  it('refuses a POST without the CSRF token, like any POST', async () => {
    const stream = await openEvents(`${served.url}/echo/?_transport=sse`);
    const { id } = JSON.parse((await stream.next()).data) as { id: string };
    const target = `${served.url}/echo/?_transport=sse&_connection=${id}`;
    expect((await post(`${target}&_seq=1`, 'no token', 'text/plain', false)).status).toBe(403);
    await post(`${target}&_close=1000`, '');
    await until(() => stream.ended);
  });

  it('closes with 1011 and logs one error when the view throws', async () => {
    const stream = await openEvents(`${served.url}/echo/?_transport=sse`);
    const { id } = JSON.parse((await stream.next()).data) as { id: string };
    await post(`${served.url}/echo/?_transport=sse&_connection=${id}&_seq=1`, 'throw');
    await stream.next();
    expect(await stream.next()).toMatchObject({
      event: 'close',
      data: JSON.stringify({ code: 1011, reason: 'internal error' }),
    });
    await until(() => served.logger.at('error').some((line) => line.includes('(WebSocket view over sse)')));
    expect(served.logger.at('error').filter((line) => line.includes('over sse'))).toEqual([
      'Internal Server Error: /echo/ (WebSocket view over sse)',
    ]);
  });

  it('reaps a connection no request touches within WEBSOCKET_FALLBACK_IDLE_TIMEOUT, with 1001', async () => {
    await fetch(`${served.url}/echo/?_transport=longpoll`);
    expect(await ended.promise).toBe(1001);
  });

  it('answers 404 with one warning for an unknown connection, and leaves plain requests to the view', async () => {
    const unknown = await post(`${served.url}/echo/?_transport=sse&_connection=${'x'.repeat(32)}`, 'hi');
    expect(unknown.status).toBe(404);
    expect(
      served.logger.at('warn').filter((line) => line.startsWith('Fallback request refused: POST')),
    ).toHaveLength(1);
    expect(await (await fetch(`${served.url}/echo/`)).text()).toBe('plain HTTP');
    expect(await (await fetch(`${served.url}/echo/?_transport=carrier-pigeon`)).text()).toBe('plain HTTP');
  });

  it('serves requireWebsocket views by their fallback, and plain requests still get 400', async () => {
    expect((await fetch(`${served.url}/only-sockets/`)).status).toBe(400);
    const opened = (await (
      await fetch(`${served.url}/only-sockets/?_transport=longpoll`)
    ).json()) as LongPollAnswer;
    const answer = (await (
      await fetch(`${served.url}/only-sockets/?_transport=longpoll&_connection=${opened.id}&_last=0`)
    ).json()) as LongPollAnswer;
    expect(answer.messages).toEqual([{ seq: 1, text: 'only sockets, or long polling' }]);
    expect(answer.close).toEqual({ code: 1000, reason: '' });
    // SSE was not offered: the request is a plain one.
    expect((await fetch(`${served.url}/only-sockets/?_transport=sse`)).status).toBe(400);
  });
});

describe('fallback limits', () => {
  it('closes with 1013 (one warning) a connection whose client takes nothing past WEBSOCKET_MAX_BUFFERED', async () => {
    const closed = deferred<number | null>();
    const flood = acceptWebsocket({ fallback: ['longpoll'] })(async (request: HttpRequest) => {
      const ws = request.websocket!;
      try {
        for (;;) await ws.send('x'.repeat(1000));
      } catch {
        closed.resolve(ws.closeCode);
      }
    });
    const served = await serve({
      MIDDLEWARE: [],
      WEBSOCKET_MAX_BUFFERED: 10_000,
      ROOT_URLCONF: [path('flood/', flood)],
    });
    try {
      await fetch(`${served.url}/flood/?_transport=longpoll`);
      expect(await closed.promise).toBe(1013);
      expect(served.logger.at('warn').filter((line) => line.includes('peer not reading'))).toHaveLength(1);
    } finally {
      await served.close();
    }
  });

  it('answers 503 past WEBSOCKET_FALLBACK_MAX_CONNECTIONS open connections, with one warning', async () => {
    const hold = acceptWebsocket({ fallback: ['longpoll'] })(async (request: HttpRequest) => {
      await request.websocket!.ended;
    });
    const served = await serve({
      MIDDLEWARE: [],
      WEBSOCKET_FALLBACK_MAX_CONNECTIONS: 2,
      ROOT_URLCONF: [path('hold/', hold)],
    });
    try {
      for (const expected of [200, 200, 503])
        expect((await fetch(`${served.url}/hold/?_transport=longpoll`)).status).toBe(expected);
      expect(served.logger.at('warn').filter((line) => line.includes('MAX_CONNECTIONS'))).toHaveLength(1);
      expect(countFallbackConnections(served.app)).toBe(2);
    } finally {
      await served.close();
    }
  });

  it('refuses an unknown fallback name when the view is decorated', () => {
    expect(() =>
      acceptWebsocket({ fallback: ['carrier-pigeon' as 'sse'] })(() => new HttpResponse('')),
    ).toThrow("acceptWebsocket({ fallback }) takes 'sse' and 'longpoll'; got \"carrier-pigeon\"");
  });
});
