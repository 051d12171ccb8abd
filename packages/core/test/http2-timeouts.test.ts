import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import type { ClientHttp2Session } from 'node:http2';
import {
  createSelfSignedCertificate,
  HttpResponse,
  path,
  type Application,
  type Settings,
  type TlsOptions,
} from '@manouche/core';
import { createLoggedApp, type MemoryLogger } from './support/serve';
import { openSession, request } from './support/http2';
import { frame, FrameType } from './support/h2-frames';

jest.setTimeout(20_000);

const tls: TlsOptions = createSelfSignedCertificate();

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

const ROUTES = [
  path('hello/', () => new HttpResponse('hello')),
  path('slow/', async () => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    return new HttpResponse('finished');
  }),
];

interface Listening {
  app: Application;
  logger: MemoryLogger;
  port: number;
}

async function listen(settings: Omit<Settings, 'ROOT_URLCONF'>, withTls = false): Promise<Listening> {
  const { app, logger } = createLoggedApp({ ROOT_URLCONF: ROUTES, ...settings });
  const server = await app.listen({ port: 0, http2: true, ...(withTls ? { tls } : {}) });
  return { app, logger, port: (server.address() as AddressInfo).port };
}

/** A raw connection to `port` that sends `bytes`, and when it was closed (ms after it opened). */
function rawConnection(port: number, bytes: string | Buffer): { socket: Socket; closed: Promise<number> } {
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  const opened = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - opened)),
  );
  if (bytes.length > 0) socket.write(bytes);
  return { socket, closed };
}

function goawayOf(session: ClientHttp2Session): Promise<number> {
  const opened = performance.now();
  return new Promise((resolve) => session.once('goaway', () => resolve(performance.now() - opened)));
}

function closeOf(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => session.once('close', () => resolve()));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('REQUEST_HEADERS_TIMEOUT over HTTP/2', () => {
  it('drops an h2c connection that sends only part of the preface, with one line, while another client is served', async () => {
    const { app, logger, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 200 });
    try {
      const silent = rawConnection(port, 'PRI * HTT');
      const session = await openSession(`http://127.0.0.1:${port}`);
      expect(await request(session, { ':path': '/hello/' })).toMatchObject({ status: 200, body: 'hello' });
      session.close();
      const closedAfter = await silent.closed;
      expect(closedAfter).toBeGreaterThanOrEqual(150);
      expect(logger.at('warn')).toEqual([
        'Request Timeout: 127.0.0.1 did not send the HTTP/2 connection preface within REQUEST_HEADERS_TIMEOUT (200 ms)',
      ]);
      expect(logger.at('error')).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('answers 408 and closes a cleartext connection that sends nothing at all, with one line', async () => {
    const { app, logger, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 150 });
    try {
      const socket = connectTcp(port, '127.0.0.1');
      socket.on('error', () => undefined);
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      await new Promise((resolve) => socket.once('close', resolve));
      expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(received).toContain('Connection: close');
      expect(logger.at('warn')).toEqual([
        'Request Timeout: 127.0.0.1 sent nothing within REQUEST_HEADERS_TIMEOUT (150 ms)',
      ]);
    } finally {
      await app.close();
    }
  });

  it('drops a connection whose preface stops after its first line (no SETTINGS), without answering it', async () => {
    const { app, logger, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 150 });
    try {
      const partial = rawConnection(port, 'PRI * HTTP/2.0\r\n');
      const received: Buffer[] = [];
      partial.socket.on('data', (chunk: Buffer) => received.push(chunk));
      await partial.closed;
      expect(logger.at('warn')).toEqual([
        'Request Timeout: 127.0.0.1 did not send the HTTP/2 connection preface within REQUEST_HEADERS_TIMEOUT (150 ms)',
      ]);
      // The server's SETTINGS only: no GOAWAY for a peer that never completed its preface.
      const types = frameTypes(Buffer.concat(received));
      expect(types).not.toContain(FrameType.GOAWAY);
    } finally {
      await app.close();
    }
  });

  it('sends GOAWAY to a session that sent its preface and SETTINGS but no HEADERS, with one line', async () => {
    const { app, logger, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 200 });
    try {
      const idle = rawConnection(
        port,
        Buffer.concat([Buffer.from(PREFACE), frame(FrameType.SETTINGS, 0, 0)]),
      );
      const received: Buffer[] = [];
      idle.socket.on('data', (chunk: Buffer) => received.push(chunk));
      const good = await openSession(`http://127.0.0.1:${port}`);
      expect((await request(good, { ':path': '/hello/' })).status).toBe(200);
      const closedAfter = await idle.closed;
      expect(closedAfter).toBeGreaterThanOrEqual(150);
      expect(frameTypes(Buffer.concat(received))).toContain(FrameType.GOAWAY);
      expect(logger.at('warn')).toEqual([
        'Request Timeout: 127.0.0.1 opened an HTTP/2 connection but sent no request head within REQUEST_HEADERS_TIMEOUT (200 ms)',
      ]);
      // The good client opened its stream in time: its connection is left alone.
      expect(good.closed).toBe(false);
      good.close();
    } finally {
      await app.close();
    }
  });

  it('counts the limit from the connection, so a slow preface does not buy a second one', async () => {
    const { app, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 300 });
    try {
      // Not yet told from HTTP/1.1 for 200 ms, then the rest of the preface and SETTINGS, no HEADERS.
      const slow = rawConnection(port, 'PRI * HTTP/2');
      await pause(200);
      slow.socket.write(Buffer.concat([Buffer.from(PREFACE.slice(12)), frame(FrameType.SETTINGS, 0, 0)]));
      const closedAfter = await slow.closed;
      expect(closedAfter).toBeLessThan(450);
    } finally {
      await app.close();
    }
  });

  it('sends GOAWAY over TLS (ALPN h2) to a session that opens no stream in time', async () => {
    const { app, logger, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 150 }, true);
    try {
      const session = await openSession(`https://127.0.0.1:${port}`);
      await goawayOf(session);
      expect(logger.at('warn')).toEqual([
        expect.stringContaining(
          'opened an HTTP/2 connection but sent no request head within REQUEST_HEADERS_TIMEOUT (150 ms)',
        ),
      ]);
      session.destroy();
    } finally {
      await app.close();
    }
  });

  it('falls back to REQUEST_TIMEOUT, as HTTP/1.1 does, when REQUEST_HEADERS_TIMEOUT is 0', async () => {
    const { app, logger, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 0, REQUEST_TIMEOUT: 150 });
    try {
      const session = await openSession(`http://127.0.0.1:${port}`);
      await goawayOf(session);
      expect(logger.at('warn')).toEqual([
        'Request Timeout: 127.0.0.1 opened an HTTP/2 connection but sent no request head within REQUEST_TIMEOUT (150 ms)',
      ]);
      session.destroy();
    } finally {
      await app.close();
    }
  });

  it('leaves a connection without a request head open when both limits are 0', async () => {
    const { app, logger, port } = await listen({
      REQUEST_HEADERS_TIMEOUT: 0,
      REQUEST_TIMEOUT: 0,
      KEEP_ALIVE_TIMEOUT: 100,
    });
    try {
      const partial = rawConnection(port, 'PRI * HTT');
      const session = await openSession(`http://127.0.0.1:${port}`);
      let closed = false;
      void partial.closed.then(() => (closed = true));
      session.once('goaway', () => (closed = true));
      await pause(400);
      expect(closed).toBe(false);
      expect(logger.at('warn')).toEqual([]);
      partial.socket.destroy();
      session.destroy();
    } finally {
      await app.close();
    }
  });
  it('closes its side of a connection that ends before it could be told h2c from HTTP/1.1', async () => {
    const { app, port } = await listen({ REQUEST_HEADERS_TIMEOUT: 0, REQUEST_TIMEOUT: 0 });
    const quitter = rawConnection(port, 'PRI');
    quitter.socket.end();
    // Had the server kept its half open, close() would wait out its 5 s grace for this connection.
    await quitter.closed;
    const closing = performance.now();
    await app.close();
    expect(performance.now() - closing).toBeLessThan(1000);
  });
});

describe('KEEP_ALIVE_TIMEOUT over HTTP/2', () => {
  it('closes (GOAWAY) a session idle that long after its last stream, silently', async () => {
    const { app, logger, port } = await listen({ KEEP_ALIVE_TIMEOUT: 150 });
    try {
      const session = await openSession(`http://127.0.0.1:${port}`);
      expect((await request(session, { ':path': '/hello/' })).status).toBe(200);
      const answeredAt = performance.now();
      await goawayOf(session);
      expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(100);
      await closeOf(session);
      expect(logger.at('warn')).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('never cuts a stream that outlasts it, and closes the session once that stream is done', async () => {
    const { app, logger, port } = await listen({ KEEP_ALIVE_TIMEOUT: 150, REQUEST_HEADERS_TIMEOUT: 150 });
    try {
      const session = await openSession(`http://127.0.0.1:${port}`);
      let goawayAt = 0;
      session.once('goaway', () => (goawayAt = performance.now()));
      // 600 ms of view: four keep-alive periods and four head limits.
      const answer = await request(session, { ':path': '/slow/' });
      const answeredAt = performance.now();
      expect(answer).toMatchObject({ status: 200, body: 'finished' });
      expect(goawayAt).toBe(0);
      // Node's own session timeout fired during the stream and was never armed again: this one is.
      await closeOf(session);
      expect(goawayAt - answeredAt).toBeGreaterThanOrEqual(100);
      expect(logger.at('warn')).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('counts idleness, not silence: PINGs do not keep an idle session open', async () => {
    const { app, port } = await listen({ KEEP_ALIVE_TIMEOUT: 200 });
    try {
      const session = await openSession(`http://127.0.0.1:${port}`);
      expect((await request(session, { ':path': '/hello/' })).status).toBe(200);
      const pings = setInterval(() => {
        if (!session.destroyed && !session.closed) session.ping(() => undefined);
      }, 50);
      try {
        await goawayOf(session);
      } finally {
        clearInterval(pings);
      }
    } finally {
      await app.close();
    }
  });

  it('starts the period again with each stream: a session used more often than that stays open', async () => {
    const { app, port } = await listen({ KEEP_ALIVE_TIMEOUT: 200 });
    try {
      const session = await openSession(`http://127.0.0.1:${port}`);
      let goaway = false;
      session.once('goaway', () => (goaway = true));
      for (let round = 0; round < 5; round++) {
        expect((await request(session, { ':path': '/hello/' })).status).toBe(200);
        await pause(100);
      }
      expect(goaway).toBe(false);
      session.close();
    } finally {
      await app.close();
    }
  });

  it('keeps idle sessions open when it is 0', async () => {
    const { app, port } = await listen({ KEEP_ALIVE_TIMEOUT: 0 });
    try {
      const session = await openSession(`http://127.0.0.1:${port}`);
      expect((await request(session, { ':path': '/hello/' })).status).toBe(200);
      let goaway = false;
      session.once('goaway', () => (goaway = true));
      await pause(300);
      expect(goaway).toBe(false);
      session.close();
    } finally {
      await app.close();
    }
  });
});

/** The types of the whole frames in `bytes` (what a raw client read from the server). */
function frameTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  let rest = bytes;
  while (rest.length >= 9 && rest.length >= 9 + rest.readUIntBE(0, 3)) {
    types.push(rest[3]!);
    rest = rest.subarray(9 + rest.readUIntBE(0, 3));
  }
  return types;
}
