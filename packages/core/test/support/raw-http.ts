import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

/** What came back on a raw connection: the status line's code, the head as text and the body bytes. */
export interface RawResponse {
  status: number;
  head: string;
  body: Buffer;
  /** Every byte the server wrote. */
  raw: Buffer;
}

function parseRaw(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = (end === -1 ? raw : raw.subarray(0, end)).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  return { status, head, body: end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4), raw };
}

/**
 * Opens a connection, lets `send` write whatever it likes, and collects what the server writes until
 * it closes the connection. A reset after the server answered still resolves with what arrived.
 */
export function rawExchange(
  port: number,
  send: string | Buffer | ((socket: Socket) => void),
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks)));
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('close', finish);
    // EPIPE/ECONNRESET while we still write: the server has answered and hung up.
    socket.on('error', finish);
    socket.on('connect', () => {
      if (typeof send === 'function') send(socket);
      else socket.write(send);
    });
  });
}

/** A response read with `node:http` (which, unlike fetch, lets a test set `Host`). */
export interface NodeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names exactly as the server wrote them, with their values. */
  rawHeaders: string[];
  body: Buffer;
  text: string;
}

/** One request on a fresh connection (no agent, no keep-alive pooling). */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<NodeResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text: body.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits (polling the event loop) until `condition()` holds; the test's own timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
