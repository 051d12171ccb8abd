import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2Server, IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';

/** Characters escaped in a logged request line, so a crafted URL can't forge a line of its own. */
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_LOG = /[\x00-\x1f\x7f"\\]/g;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A WebSocket close frame's opcode, and the codes for "no status" and "no close frame at all". */
const CLOSE_OPCODE = 0x8;
const NO_STATUS_RECEIVED = 1005;
const ABNORMAL_CLOSURE = 1006;
const NORMAL_CLOSE_CODES = new Set([1000, 1001]);
const SERVER_ERROR_CLOSE = 1011;

/** Django's runserver palette (`django.utils.termcolors`), by status class. */
const COLOURS = {
  info: '\x1b[1m',
  success: '',
  redirect: '\x1b[32m',
  notModified: '\x1b[36m',
  badRequest: '\x1b[31;1m',
  notFound: '\x1b[33m',
  serverError: '\x1b[35;1m',
} as const;
const RESET = '\x1b[0m';

/** Where the lines go: stderr, as Django's runserver writes them. */
export interface LogStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  hasColors?(): boolean;
}

/**
 * Django's runserver request lines for every request `server` answers, written to `stream`:
 *
 * ```text
 * [26/Nov/2026 14:03:07] "GET /posts/?page=2 HTTP/1.1" 200 1234
 * [26/Nov/2026 14:03:09] "GET /echo/ HTTP/1.1" 101 0
 * [26/Nov/2026 14:03:12] "WebSocket /echo/" closed 1000
 * ```
 *
 * coloured by status on a terminal. Requests refused before the application (a disallowed host, a
 * bad request line) are logged too, since this listens on Node's server rather than in the
 * middleware. A WebSocket handshake gets its line when its answer is written (`101`, or the refusal's
 * status), and a second line when the connection ends, with the close code the server sent (its
 * own, or the one it echoed from the client); `1006` when it ended without a close frame. Only
 * `runserver` installs it: this costs a listener and a wrapped `write` per request.
 */
export function logRequests(server: Server, stream: LogStream, now: () => Date = () => new Date()): void {
  const colour = stream.isTTY === true && (stream.hasColors?.() ?? false);
  const print = (line: string, tone: keyof typeof COLOURS): void => {
    const painted = colour && COLOURS[tone] !== '' ? `${COLOURS[tone]}${line}${RESET}` : line;
    stream.write(`[${logDate(now())}] ${painted}\n`);
  };
  // Both ahead of the server's own listeners: a response written synchronously would otherwise be
  // out before the watching starts.
  server.prependListener('request', (incoming: IncomingMessage, res: ServerResponse) => {
    const size = countBodyBytes(res);
    res.once('finish', () =>
      print(`"${requestLine(incoming)}" ${res.statusCode} ${size()}`, toneOfStatus(res.statusCode)),
    );
  });
  server.prependListener('upgrade', (incoming: IncomingMessage, socket: Duplex) => {
    const line = requestLine(incoming);
    const watcher = new UpgradeWatcher((status, size) =>
      print(`"${line}" ${status} ${size}`, toneOfStatus(status)),
    );
    watcher.watch(socket);
    socket.once('close', () => {
      if (!watcher.upgraded) return;
      const code = watcher.closeCode ?? ABNORMAL_CLOSURE;
      print(
        `"WebSocket ${escapeForLog(incoming.url ?? '')}" closed ${code}`,
        NORMAL_CLOSE_CODES.has(code) ? 'success' : code === SERVER_ERROR_CLOSE ? 'serverError' : 'badRequest',
      );
    });
  });
}

/**
 * The same lines for the HTTP/2 requests of a server listening with `http2` (Node's HTTP/2 server
 * behind it, `app.http2Server`): `"GET /posts/ HTTP/2.0" 200 1234` when a stream is done, and for a
 * WebSocket opened by extended CONNECT `"CONNECT /echo/ HTTP/2.0" 200 0` when it is answered, then
 * `"WebSocket /echo/" closed 1000` when it ends.
 */
export function logHttp2Requests(
  server: Http2Server,
  stream: LogStream,
  now: () => Date = () => new Date(),
): void {
  const colour = stream.isTTY === true && (stream.hasColors?.() ?? false);
  const print = (line: string, tone: keyof typeof COLOURS): void => {
    const painted = colour && COLOURS[tone] !== '' ? `${COLOURS[tone]}${line}${RESET}` : line;
    stream.write(`[${logDate(now())}] ${painted}\n`);
  };
  server.prependListener('stream', (h2stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const path = escapeForLog(headers[':path'] ?? '');
    const line = `${headers[':method'] ?? '-'} ${path} HTTP/2.0`;
    const websocket = headers[':method'] === 'CONNECT' && headers[':protocol'] !== undefined;
    // An Http2Stream is written with write/end as a ServerResponse is.
    const size = countBodyBytes(h2stream as unknown as ServerResponse);
    const watcher = websocket ? new UpgradeWatcher(() => undefined) : null;
    let status = 0;
    const respond = h2stream.respond;
    h2stream.respond = function (
      this: ServerHttp2Stream,
      head?: OutgoingHttpHeaders,
      ...rest: unknown[]
    ): void {
      status = Number(head?.[':status'] ?? 200);
      (respond as (...args: unknown[]) => void).call(this, head, ...rest);
      // An accepted WebSocket: its answer line now, its close line when the stream ends.
      if (watcher !== null && status === 200) {
        print(`"${line}" 200 0`, 'success');
        watcher.watchFrames(this);
      }
    };
    h2stream.once('close', () => {
      if (status === 0) return;
      if (watcher === null || !watcher.upgraded) {
        print(`"${line}" ${status} ${size()}`, toneOfStatus(status));
        return;
      }
      const code = watcher.closeCode ?? ABNORMAL_CLOSURE;
      print(
        `"WebSocket ${path}" closed ${code}`,
        NORMAL_CLOSE_CODES.has(code) ? 'success' : code === SERVER_ERROR_CLOSE ? 'serverError' : 'badRequest',
      );
    });
  });
}

/** `26/Nov/2026 14:03:07`, the date Django's runserver prints, in local time. */
export function logDate(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return (
    `${pad(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/**
 * Counts the body bytes written to `res` (Django prints the bytes sent). The headers given to
 * `writeHead` are not readable back, so the `Content-Length` can't be asked for.
 */
function countBodyBytes(res: ServerResponse): () => number {
  let bytes = 0;
  const count = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string')
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const originalWrite = res.write;
  const originalEnd = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
    count(chunk, rest[0]);
    return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  };
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]): ServerResponse {
    count(chunk, rest[0]);
    return (originalEnd as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  };
  return () => bytes;
}

function requestLine(incoming: IncomingMessage): string {
  return `${incoming.method ?? '-'} ${escapeForLog(incoming.url ?? '')} HTTP/${incoming.httpVersion}`;
}

function toneOfStatus(status: number): keyof typeof COLOURS {
  if (status < 200) return 'info';
  if (status === 304) return 'notModified';
  if (status < 300) return 'success';
  if (status < 400) return 'redirect';
  if (status === 404) return 'notFound';
  if (status < 500) return 'badRequest';
  return 'serverError';
}

function escapeForLog(text: string): string {
  return text.replace(UNSAFE_IN_LOG, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Reads what the server writes on an `Upgrade` request's socket: the status of the HTTP answer (a
 * `101`, or a refusal), then, after a `101`, the WebSocket frames going out, until the first close
 * frame, whose code it keeps. Server frames are never masked (RFC 6455 5.1), and control frames are
 * never compressed, so the headers and a close frame's payload can be read as they pass.
 */
class UpgradeWatcher {
  upgraded = false;
  closeCode: number | null = null;
  #answered = false;
  /** The bytes of a frame header that arrived split across writes. */
  #header = Buffer.alloc(0);
  /** Payload bytes of the current frame still to pass. */
  #remaining = 0;
  /** The payload of a close frame being read, or `null`. */
  #closePayload: Buffer[] | null = null;

  constructor(private readonly onAnswer: (status: number, size: string) => void) {}

  /** Reads WebSocket frames only: an HTTP/2 stream, whose answer was its HEADERS, not bytes. */
  watchFrames(stream: Duplex): void {
    this.#answered = true;
    this.upgraded = true;
    this.watch(stream);
  }

  watch(socket: Duplex): void {
    const originalWrite = socket.write;
    const originalEnd = socket.end;
    const read = (chunk: unknown, encoding: unknown): void => {
      if (this.closeCode !== null || chunk === undefined || chunk === null || typeof chunk === 'function')
        return;
      try {
        this.#read(
          Buffer.isBuffer(chunk)
            ? chunk
            : typeof chunk === 'string'
              ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
              : Buffer.from(chunk as Uint8Array),
        );
      } catch {
        // Watching must never break the connection it watches.
      }
    };
    socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
      read(chunk, rest[0]);
      return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    };
    socket.end = function (this: Duplex, chunk?: unknown, ...rest: unknown[]): Duplex {
      read(chunk, rest[0]);
      return (originalEnd as (...args: unknown[]) => Duplex).call(this, chunk, ...rest);
    };
  }

  #read(chunk: Buffer): void {
    if (!this.#answered) {
      this.#answered = true;
      const text = chunk.toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      if (status === 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text)?.[1];
      this.onAnswer(status, length ?? (status === 101 ? '0' : '-'));
      if (status !== 101) return;
      this.upgraded = true;
      const end = text.indexOf('\r\n\r\n');
      if (end === -1 || end + 4 >= chunk.length) return;
      chunk = chunk.subarray(end + 4);
    }
    if (this.upgraded) this.#readFrames(chunk);
  }

  #readFrames(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && this.closeCode === null) {
      if (this.#remaining > 0) {
        const taken = Math.min(this.#remaining, chunk.length - offset);
        this.#closePayload?.push(chunk.subarray(offset, offset + taken));
        this.#remaining -= taken;
        offset += taken;
        if (this.#remaining === 0 && this.#closePayload !== null) this.#finishClose();
        continue;
      }
      const header = Buffer.concat([this.#header, chunk.subarray(offset)]);
      if (header.length < 2) {
        this.#header = header;
        return;
      }
      const opcode = header[0]! & 0x0f;
      const shortLength = header[1]! & 0x7f;
      const lengthBytes = shortLength === 126 ? 2 : shortLength === 127 ? 8 : 0;
      const headerLength = 2 + lengthBytes;
      if (header.length < headerLength) {
        this.#header = header;
        return;
      }
      const length =
        lengthBytes === 0
          ? shortLength
          : lengthBytes === 2
            ? header.readUInt16BE(2)
            : Number(header.readBigUInt64BE(2));
      offset += headerLength - this.#header.length;
      this.#header = Buffer.alloc(0);
      this.#remaining = length;
      if (opcode === CLOSE_OPCODE) {
        this.#closePayload = [];
        if (length === 0) this.#finishClose();
      }
    }
  }

  #finishClose(): void {
    const payload = Buffer.concat(this.#closePayload ?? []);
    this.#closePayload = null;
    this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : NO_STATUS_RECEIVED;
  }
}
