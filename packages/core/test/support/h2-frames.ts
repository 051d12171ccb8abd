import { connect } from 'node:net';

/**
 * Raw HTTP/2 frames, for requests Node's own client refuses to send (a malformed extended CONNECT)
 * or would hold back (more streams than the server allows).
 */
export const FrameType = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, GOAWAY: 0x7 } as const;
export const Flag = { END_STREAM: 0x1, END_HEADERS: 0x4 } as const;
export const ErrorCode = { PROTOCOL_ERROR: 0x1, REFUSED_STREAM: 0x7 } as const;

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** An HPACK literal field without indexing, new name (RFC 7541 6.2.2); names and values under 127 bytes. */
function field(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0, name.length]),
    Buffer.from(name),
    Buffer.from([value.length]),
    Buffer.from(value),
  ]);
}

export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** A HEADERS frame carrying `fields`, with END_HEADERS (and END_STREAM when `endStream`). */
export function headersFrame(stream: number, fields: Array<[string, string]>, endStream: boolean): Buffer {
  const block = Buffer.concat(fields.map(([name, value]) => field(name, value)));
  return frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), stream, block);
}

/** A frame the server sent: its type, stream and, for RST_STREAM, its error code. */
export interface ReceivedFrame {
  type: number;
  stream: number;
  errorCode: number | null;
}

/**
 * Opens a cleartext HTTP/2 connection, sends the preface, an empty SETTINGS and `frames`, and
 * resolves with the frames the server sent once `until` holds for them (or the connection closed).
 */
export function exchangeFrames(
  port: number,
  frames: Buffer[],
  until: (received: ReceivedFrame[]) => boolean,
): Promise<ReceivedFrame[]> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const received: ReceivedFrame[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
        const length = buffered.readUIntBE(0, 3);
        const type = buffered[3]!;
        received.push({
          type,
          stream: buffered.readUInt32BE(5) & 0x7fffffff,
          errorCode: type === FrameType.RST_STREAM ? buffered.readUInt32BE(9) : null,
        });
        buffered = buffered.subarray(9 + length);
      }
      if (until(received)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(PREFACE);
    socket.write(frame(FrameType.SETTINGS, 0, 0));
    for (const each of frames) socket.write(each);
  });
}

/** The RST_STREAM error code the server sent for `stream`, if any. */
export function resetCodeOf(received: ReceivedFrame[], stream: number): number | null {
  return (
    received.find((each) => each.type === FrameType.RST_STREAM && each.stream === stream)?.errorCode ?? null
  );
}
