import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Application } from '@manouche/core';
import { Client, LiveServer, WebSocketTestClient } from '@manouche/testing';
import { blogOf } from '../src/app';
import type { Comment } from '../src/models';
import { CLOSE_NO_SUCH_POST } from '../src/views';
import { csrfTokenFrom, logIn, makeApp, SETTINGS, waitFor } from './helpers';

describe.each(SETTINGS)('the live views with %s', (name, base) => {
  let app: Application;
  let server: LiveServer;
  let client: Client;
  const sockets: WebSocketTestClient[] = [];

  /** A WebSocket client that is closed after the test, whatever happens. */
  function socket(path: string): WebSocketTestClient {
    const ws = new WebSocketTestClient(`${server.wsUrl}${path}`);
    sockets.push(ws);
    return ws;
  }

  async function addComment(postId: number, body: string): Promise<Comment> {
    const token = await csrfTokenFrom(client, `/posts/${postId}/`);
    const response = await client.post(
      `/posts/${postId}/comments/`,
      { author: 'django', body },
      { headers: { 'X-CSRFToken': token } },
    );
    expect(response.statusCode).toBe(201);
    return response.json() as Comment;
  }

  beforeAll(async () => {
    app = makeApp(base);
    server = new LiveServer(app);
    await server.start();
  });

  beforeEach(() => {
    client = new Client(app);
  });

  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((ws) => ws.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await server.stop();
    blogOf(app).close();
  });

  describe('comments as an event stream', () => {
    const streams: IncomingMessage[] = [];
    afterEach(() => {
      for (const stream of streams.splice(0)) stream.destroy();
    });

    /** Opens the event stream and collects its events' `id` and `data` as they come. */
    function openEvents(
      path: string,
      headers: Record<string, string> = {},
    ): Promise<{ events: Array<{ id: string; data: string }>; response: IncomingMessage }> {
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          `${server.url}${path}`,
          { headers: { Accept: 'text/event-stream', ...headers }, agent: false },
          (response) => {
            streams.push(response);
            const events: Array<{ id: string; data: string }> = [];
            let buffer = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              buffer += chunk;
              let end: number;
              while ((end = buffer.indexOf('\n\n')) !== -1) {
                const lines = buffer.slice(0, end).split('\n');
                buffer = buffer.slice(end + 2);
                const id = lines.find((line) => line.startsWith('id: '))?.slice(4);
                const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
                if (id !== undefined) events.push({ id, data: data.join('\n') });
              }
            });
            resolve({ events, response });
          },
        );
        req.on('error', reject);
        req.end();
      });
    }

    it('sends each new comment as one event: its JSON as data, its id as id', async () => {
      const { events, response } = await openEvents('/posts/5/comments/');
      expect(response.headers['content-type']).toBe('text/event-stream');
      await waitFor(() => blogOf(app).comments.count(5) === 1, 'the stream to join the post');
      const comment = await addComment(5, 'as an event');
      await waitFor(() => events.length === 1, 'the event');
      expect(events).toEqual([{ id: String(comment.id), data: JSON.stringify(comment) }]);
      expect(JSON.parse(events[0]!.data)).toEqual(comment);
    });

    it('first sends the comments after Last-Event-ID, or after ?since=', async () => {
      const first = await addComment(6, 'missed one');
      const second = await addComment(6, 'missed two');
      const resumed = await openEvents('/posts/6/comments/', { 'Last-Event-ID': String(first.id) });
      await waitFor(() => resumed.events.length === 1, 'the missed comment');
      expect(resumed.events.map((event) => Number(event.id))).toEqual([second.id]);
      const since = await openEvents(`/posts/6/comments/?since=${first.id - 1}`);
      await waitFor(() => since.events.length === 2, 'both missed comments');
      expect(since.events.map((event) => Number(event.id))).toEqual([first.id, second.id]);
      await waitFor(() => blogOf(app).comments.count(6) === 2, 'both streams to join the post');
      const third = await addComment(6, 'live');
      await waitFor(() => since.events.length === 3 && resumed.events.length === 2, 'the live comment');
      expect(since.events[2]!.id).toBe(String(third.id));
    });

    it('leaves the post group when the reader goes', async () => {
      const { response } = await openEvents('/posts/7/comments/');
      await waitFor(() => blogOf(app).comments.count(7) === 1, 'the stream to join the post');
      response.destroy();
      await waitFor(() => blogOf(app).comments.count(7) === 0, 'the stream to leave the post');
    });
  });

  describe('comments over WebSocket', () => {
    it('pushes a comment added to a connected socket', async () => {
      const ws = socket('/posts/2/comments/');
      expect(await ws.connect()).toMatchObject({ accepted: true, status: 101 });
      await waitFor(() => blogOf(app).comments.count(2) === 1, 'the socket to be registered');

      const comment = await addComment(2, 'pushed, not polled');
      expect(await ws.receiveJson()).toEqual(comment);

      // A comment on another post is not pushed here.
      await addComment(3, 'elsewhere');
      await ws.receiveNothing(100);
    });

    it('pushes to every socket open on the post, and forgets closed ones', async () => {
      const first = socket('/posts/4/comments/');
      const second = socket('/posts/4/comments/');
      await first.connect();
      await second.connect();
      await waitFor(() => blogOf(app).comments.count(4) === 2, 'both sockets to be registered');
      const comment = await addComment(4, 'to both');
      expect(await first.receiveJson()).toEqual(comment);
      expect(await second.receiveJson()).toEqual(comment);

      await first.close();
      await waitFor(() => blogOf(app).comments.count(4) === 1, 'the closed socket to be unregistered');
      const next = await addComment(4, 'to the second only');
      expect(await second.receiveJson()).toEqual(next);
    });

    it('sends the comments missed since ?since= first', async () => {
      const ws = socket('/posts/1/comments/?since=0');
      await ws.connect();
      expect(await ws.receiveJson()).toMatchObject({ id: 1, post_id: 1, author: 'stephane' });
    });

    it('accepts the site’s own Origin and refuses a foreign one with 403', async () => {
      const own = socket('/posts/1/comments/');
      expect(await own.connect({ origin: server.url })).toMatchObject({ accepted: true });
      const foreign = socket('/posts/1/comments/');
      expect(await foreign.connect({ origin: 'https://evil.example' })).toMatchObject({
        accepted: false,
        status: 403,
      });
    });

    it('closes with 4404 for a post that does not exist', async () => {
      const ws = socket('/posts/999/comments/');
      await ws.connect();
      expect((await ws.closed).code).toBe(CLOSE_NO_SUCH_POST);
    });

    it('still answers a plain GET with JSON over HTTP', async () => {
      const response = await fetch(`${server.url}/posts/1/comments/?since=0`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as Comment[])[0]).toMatchObject({ id: 1 });
    });
  });

  describe('the chat room', () => {
    it('answers a plain GET with 400 and an empty body (requireWebsocket)', async () => {
      const response = await fetch(`${server.url}/posts/1/chat/`);
      expect(response.status).toBe(400);
      expect(await response.text()).toBe('');
      expect((await client.get('/posts/1/chat/')).statusCode).toBe(400);
    });

    it('refuses a foreign Origin with 403', async () => {
      const ws = socket('/posts/1/chat/');
      expect(await ws.connect({ origin: 'http://evil.example:8000' })).toMatchObject({
        accepted: false,
        status: 403,
      });
    });

    it('broadcasts messages and keeps the presence list', async () => {
      const alice = socket('/posts/5/chat/');
      await alice.connect();
      const welcomeA = (await alice.receiveJson()) as { type: string; you: string };
      expect(welcomeA).toMatchObject({ type: 'welcome', you: expect.stringMatching(/^guest-\d+-\d+$/) });
      const a = welcomeA.you;
      expect(await alice.receiveJson()).toEqual({ type: 'presence', users: [a] });

      const bob = socket('/posts/5/chat/');
      await bob.connect();
      const b = ((await bob.receiveJson()) as { you: string }).you;
      expect(b).not.toBe(a);
      const both = { type: 'presence', users: [a, b].sort() };
      expect(await bob.receiveJson()).toEqual(both);
      expect(await alice.receiveJson()).toEqual(both);

      await alice.send('bonjour');
      expect(await alice.receiveJson()).toMatchObject({ type: 'message', user: a, text: 'bonjour' });
      expect(await bob.receiveJson()).toMatchObject({ type: 'message', user: a, text: 'bonjour' });
      await bob.sendJson({ text: '  salut  ' });
      expect(await alice.receiveJson()).toMatchObject({ type: 'message', user: b, text: 'salut' });
      expect(await bob.receiveJson()).toMatchObject({ type: 'message', user: b, text: 'salut' });

      // Another post's room hears nothing.
      const elsewhere = socket('/posts/6/chat/');
      await elsewhere.connect();
      await elsewhere.receiveJson(); // welcome
      await elsewhere.receiveJson(); // presence
      await alice.send('only post 5');
      await alice.receiveJson();
      await bob.receiveJson();
      await elsewhere.receiveNothing(100);

      await bob.close();
      expect(await alice.receiveJson()).toEqual({ type: 'presence', users: [a] });
    });

    it('names a logged-in reader by username', async () => {
      await logIn(client);
      const ws = socket('/posts/7/chat/');
      await ws.connect({ headers: { Cookie: `sessionid=${client.cookies.get('sessionid')}` } });
      expect(await ws.receiveJson()).toEqual({ type: 'welcome', you: 'admin' });
      expect(await ws.receiveJson()).toEqual({ type: 'presence', users: ['admin'] });
    });
  });

  describe('WEBSOCKET_ACCEPT_ALL', () => {
    const legacy = name.startsWith('settings-legacy');
    it(
      legacy ? 'lets any view take a WebSocket' : 'is off: a page refuses a WebSocket with 400',
      async () => {
        const ws = socket('/login/');
        const result = await ws.connect();
        if (legacy) expect(result).toMatchObject({ accepted: true, status: 101 });
        else expect(result).toMatchObject({ accepted: false, status: 400 });
      },
    );
  });
});
