import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A WebSocket frame as the server wrote it. */
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export const Opcode = { TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** Everything a raw connection received. */
export interface RawResult {
  /** Every byte the server wrote. */
  raw: Buffer;
  /** The status of the first status line (0 when none came). */
  status: number;
  /** The first response head (up to the blank line), as latin1 text. */
  head: string;
  /** The bytes after the first head. */
  rest: Buffer;
  /** How many times `HTTP/1.1 101` appears anywhere in what was received. */
  switchingCount: number;
  /** After a 101: the frames `rest` parses into. */
  frames: Frame[];
  /** After a 101: bytes of `rest` that do not parse as complete frames (should be empty). */
  unparsed: Buffer;
  /** Whether the server closed the connection within the window. */
  ended: boolean;
}

/** The header lines of a valid handshake for `path` (override or drop headers with `changes`). */
export function handshakeLines(
  path: string,
  port: number,
  changes: Record<string, string | null> = {},
  method = 'GET',
): string[] {
  const headers: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...changes,
  };
  const lines = [`${method} ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) if (value !== null) lines.push(`${name}: ${value}`);
  return lines;
}

/** A masked frame, as a client must send it. */
export function clientFrame(opcode: number, payload: Buffer = Buffer.alloc(0), fin = true): Buffer {
  if (payload.length > 125) throw new Error('clientFrame only writes short frames');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]), mask, masked]);
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(code);
  return Buffer.concat([buffer, Buffer.from(reason, 'utf8')]);
}

/** Parses server (unmasked) frames; what is left over is returned as `unparsed`. */
export function parseFrames(bytes: Buffer): { frames: Frame[]; unparsed: Buffer } {
  const frames: Frame[] = [];
  let offset = 0;
  for (;;) {
    if (bytes.length - offset < 2) break;
    const first = bytes[offset]!;
    const second = bytes[offset + 1]!;
    let length = second & 0x7f;
    let cursor = offset + 2;
    if (length === 126) {
      if (bytes.length < cursor + 2) break;
      length = bytes.readUInt16BE(cursor);
      cursor += 2;
    } else if (length === 127) {
      if (bytes.length < cursor + 8) break;
      length = Number(bytes.readBigUInt64BE(cursor));
      cursor += 8;
    }
    const masked = (second & 0x80) !== 0;
    const maskKey = masked ? bytes.subarray(cursor, cursor + 4) : null;
    if (masked) cursor += 4;
    if (bytes.length < cursor + length) break;
    let payload = Buffer.from(bytes.subarray(cursor, cursor + length));
    if (maskKey !== null) payload = Buffer.from(payload.map((byte, index) => byte ^ maskKey[index % 4]!));
    frames.push({ fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload });
    offset = cursor + length;
  }
  return { frames, unparsed: bytes.subarray(offset) };
}

/** The code of a close frame. */
export function closeCodeOf(frame: Frame): number | null {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null;
}

function analyse(raw: Buffer, ended: boolean): RawResult {
  const end = raw.indexOf('\r\n\r\n');
  const head = (end === -1 ? raw : raw.subarray(0, end)).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const rest = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  const switchingCount = raw.toString('latin1').split('HTTP/1.1 101').length - 1;
  const parsed = status === 101 ? parseFrames(rest) : { frames: [], unparsed: rest };
  return { raw, status, head, rest, switchingCount, frames: parsed.frames, unparsed: parsed.unparsed, ended };
}

export interface RawHandshakeOptions {
  /** How long to collect bytes when the server keeps the connection open (default 1000 ms). */
  windowMs?: number;
  /** After a 101, answer the server's close frame as a client should (default true). */
  answerClose?: boolean;
  /** Bytes to send right after the request head (e.g. client frames). */
  after?: Buffer;
}

/**
 * Sends `headerLines` (a request head without the blank line) on a raw `node:net` socket and resolves
 * to every byte received until the server closes the connection, or `windowMs` passes (for a plain
 * response on a kept-alive connection: 100 ms after its body is complete). After a 101
 * it answers the server's close frame, so the server can finish the closing handshake; whatever the
 * server writes after that (it must write nothing) is still collected.
 */
export function rawHandshake(
  port: number,
  headerLines: string[],
  options: RawHandshakeOptions = {},
): Promise<RawResult> {
  const { windowMs = 1000, answerClose = true } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let answered = false;
    let settled = false;
    const finish = (ended: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(analyse(Buffer.concat(chunks), ended));
    };
    const timer = setTimeout(() => finish(false), windowMs);
    let complete = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const result = analyse(Buffer.concat(chunks), false);
      if (result.status !== 0 && result.status !== 101 && !complete) {
        // A plain response on a kept-alive connection: once its body is in, a short grace for strays.
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(result.head)?.[1] ?? NaN);
        if (result.rest.length >= length) {
          complete = true;
          setTimeout(() => finish(false), 100);
        }
      }
      if (!answerClose || answered) return;
      if (result.status !== 101) return;
      const close = result.frames.find((frame) => frame.opcode === Opcode.CLOSE);
      if (close === undefined) return;
      answered = true;
      socket.write(clientFrame(Opcode.CLOSE, close.payload.subarray(0, 2)));
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      socket.write(`${headerLines.join('\r\n')}\r\n\r\n`);
      if (options.after !== undefined) socket.write(options.after);
    });
  });
}

/** A client that completed the handshake and then reads nothing more (its socket is paused). */
export interface StalledPeer {
  readonly socket: Socket;
  /** Starts reading again and resolves to everything received until the server closes the connection. */
  drain(): Promise<Buffer>;
}

/**
 * Opens a WebSocket to `path` on a raw socket and stops reading once the `101` head has arrived: the
 * server's frames pile up in the kernel's buffers, then in the server's. What it read so far (the
 * head and any frame that came with it) is handed back by `drain()` with the rest.
 */
export function stalledPeer(port: number, path: string): Promise<StalledPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      if (!Buffer.concat(chunks).includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve({
        socket,
        drain: () =>
          new Promise((done) => {
            socket.on('data', (more: Buffer) => chunks.push(more));
            socket.on('close', () => done(Buffer.concat(chunks)));
            socket.resume();
          }),
      });
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.once('close', () => reject(new Error(`the server closed ${path} before answering the handshake`)));
    socket.on('connect', () => socket.write(`${handshakeLines(path, port).join('\r\n')}\r\n\r\n`));
  });
}
