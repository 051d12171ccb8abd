import type { AddressInfo } from 'node:net';
import { createApp, HttpResponse, HttpResponseNotModified, HttpResponseRedirect, path } from '@manouche/core';
import { logDate, logRequests, type LogStream } from '../src/cli/request-log';

const QUIET = { info: () => undefined, warn: () => undefined, error: () => undefined };
const NOW = new Date(2026, 10, 26, 14, 3, 7);

/** A stream that records what is written, a terminal or not. */
class RecordingStream implements LogStream {
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(readonly isTTY: boolean) {}

  hasColors(): boolean {
    return this.isTTY;
  }

  write(text: string): boolean {
    this.lines.push(text);
    this.#waiters.forEach((waiter) => waiter());
    return true;
  }

  /** Resolves once `count` lines were written (bounded by jest's timeout). */
  waitForLines(count: number): Promise<string[]> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.lines.length < count) return;
        this.#waiters.delete(check);
        resolve(this.lines);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/** Serves `paths` from a fresh application whose server logs to `stream`; resolves with the lines. */
async function linesFor(stream: RecordingStream, paths: string[]): Promise<string[]> {
  const app = createApp({
    LOGGER: QUIET,
    ROOT_URLCONF: [
      path('', () => new HttpResponse('Hello')),
      path('moved/', () => new HttpResponseRedirect('/')),
      path('same/', () => new HttpResponseNotModified()),
      path('boom/', () => {
        throw new Error('boom');
      }),
    ],
  });
  const server = await app.listen(0);
  try {
    logRequests(server, stream, () => NOW);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const target of paths) await (await fetch(`${base}${target}`, { redirect: 'manual' })).arrayBuffer();
    return await stream.waitForLines(paths.length);
  } finally {
    await app.close();
  }
}

describe('runserver request lines', () => {
  it('dates a line as Django does, in local time', () => {
    expect(logDate(NOW)).toBe('26/Nov/2026 14:03:07');
    expect(logDate(new Date(2026, 0, 5, 9, 0, 0))).toBe('05/Jan/2026 09:00:00');
  });

  it('colours each line by its status on a terminal, with Django’s palette', async () => {
    const lines = await linesFor(new RecordingStream(true), [
      '/',
      '/moved/',
      '/same/',
      '/missing/',
      '/boom/',
    ]);
    // The error pages' sizes are theirs to change: N stands for any size.
    expect(lines.map((line) => line.replace(/ \d+(\S*)\n$/, ' N$1\n'))).toEqual([
      '[26/Nov/2026 14:03:07] "GET / HTTP/1.1" 200 N\n',
      '[26/Nov/2026 14:03:07] \x1b[32m"GET /moved/ HTTP/1.1" 302 N\x1b[0m\n',
      '[26/Nov/2026 14:03:07] \x1b[36m"GET /same/ HTTP/1.1" 304 N\x1b[0m\n',
      '[26/Nov/2026 14:03:07] \x1b[33m"GET /missing/ HTTP/1.1" 404 N\x1b[0m\n',
      '[26/Nov/2026 14:03:07] \x1b[35;1m"GET /boom/ HTTP/1.1" 500 N\x1b[0m\n',
    ]);
    expect(lines[0]).toBe('[26/Nov/2026 14:03:07] "GET / HTTP/1.1" 200 5\n');
  });

  it('writes no colour codes when the stream is not a terminal', async () => {
    const lines = await linesFor(new RecordingStream(false), ['/moved/']);
    expect(lines).toEqual(['[26/Nov/2026 14:03:07] "GET /moved/ HTTP/1.1" 302 0\n']);
  });
});
