import {
  connect,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';

/** What an HTTP/2 request came back with. */
export interface Http2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP/2 client session to `origin` (self-signed certificates accepted), once its SETTINGS came. */
export async function openSession(origin: string): Promise<ClientHttp2Session> {
  const session = connect(origin, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** Sends one request on `session` and reads the whole answer. */
export function request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let received: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (answer) => {
      received = answer;
      status = Number(answer[':status']);
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, headers: received, body: Buffer.concat(chunks).toString() }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}
