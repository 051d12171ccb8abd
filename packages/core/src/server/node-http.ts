import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { BadRequest, ClientDisconnected, RequestDataTooBig } from '../exceptions';
import { HttpRequest, type UpgradeContext } from '../http/request';
import { contentForWire, type HttpResponse } from '../http/response';
import type { StreamingHttpResponse } from '../http/streaming-response';
import type { Logger } from '../log';

/** Whether the request announces a body (most GETs do not, and skip buffering entirely). */
export function hasBody(incoming: IncomingMessage): boolean {
  const length = incoming.headers['content-length'];
  return (length !== undefined && length !== '0') || incoming.headers['transfer-encoding'] !== undefined;
}

/**
 * Buffers the body, refusing more than `limit` bytes with {@link RequestDataTooBig} (checked against
 * `Content-Length` first, so an honest oversized upload is refused before it is read).
 */
export function readBody(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) {
    return Promise.reject(
      new RequestDataTooBig(
        `Request body of ${declared} bytes exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (${limit})`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new RequestDataTooBig(`Request body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (${limit})`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new ClientDisconnected(error.message));
    };
    const onClose = (): void => {
      if (!incoming.complete) onError(new Error('the client disconnected before sending the whole body'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/**
 * Builds the `HttpRequest` for Node's message. The path is percent-decoded (Django matches decoded
 * paths); a malformed escape or an unusable request target is a {@link BadRequest}.
 */
export function requestFromIncoming(
  incoming: IncomingMessage,
  body: Buffer | undefined,
  upgrade: UpgradeContext | null,
): HttpRequest {
  let target = incoming.url ?? '/';
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`), sent to proxies and accepted by servers (RFC 9112 3.2.2)
    if (!/^https?:\/\//i.test(target))
      throw new BadRequest(`Unusable request target ${JSON.stringify(target.slice(0, 100))}`);
    const url = new URL(target);
    target = url.pathname + url.search;
  }
  const question = target.indexOf('?');
  const rawPath = question === -1 ? target : target.slice(0, question);
  let path = rawPath;
  if (rawPath.includes('%')) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw new BadRequest(`Malformed percent-encoding in path ${JSON.stringify(rawPath.slice(0, 100))}`);
    }
  }
  const socket = incoming.socket;
  return new HttpRequest({
    method: incoming.method,
    path,
    queryString: question === -1 ? '' : target.slice(question + 1),
    headers: incoming.headers,
    headersAreLowerCase: true,
    body,
    scheme: (socket as TLSSocket).encrypted ? 'https' : 'http',
    remoteAddress: socket.remoteAddress,
    serverPort: socket.localPort,
    upgrade,
  });
}

function headerList(response: HttpResponse, bodyLength: number | null): string[] {
  const list = response.headers.appendFlat([]);
  for (const cookie of response.cookies.values()) list.push('Set-Cookie', cookie);
  if (bodyLength !== null && !response.headers.has('content-length'))
    list.push('Content-Length', String(bodyLength));
  return list;
}

/**
 * The headers as the plain object `writeHead` takes fastest (an array makes Node remove and re-append
 * each header); several cookies become one `Set-Cookie` array, as Node expects.
 */
function headerObject(response: HttpResponse, bodyLength: number | null): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = response.headers.toObject();
  if (response.cookies.size > 0) headers['Set-Cookie'] = [...response.cookies.values()];
  if (bodyLength !== null && !response.headers.has('content-length'))
    headers['Content-Length'] = String(bodyLength);
  return headers;
}

function statusHasBody(status: number): boolean {
  return !(status < 200 || status === 204 || status === 304);
}

/** Writes `response` to Node's `ServerResponse`; a streaming body honours backpressure. */
export function writeResponse(res: ServerResponse, response: HttpResponse, logger: Logger): void {
  if (response.streaming) {
    res.writeHead(response.statusCode, response.reasonPhrase, headerObject(response, null));
    void streamBody(res, response as StreamingHttpResponse, logger);
    return;
  }
  if (!statusHasBody(response.statusCode)) {
    res.writeHead(response.statusCode, response.reasonPhrase, headerObject(response, null));
    res.end();
    return;
  }
  let body = contentForWire(response);
  // Node sends a string body in one piece with the head, all encoded as UTF-8: only right when the
  // head is ASCII (a Latin-1 header value must keep its single byte).
  if (typeof body === 'string' && !response.headers.asciiOnly) body = response.content;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(response.statusCode, response.reasonPhrase, headerObject(response, length));
  res.end(body);
}

async function streamBody(
  res: ServerResponse,
  response: StreamingHttpResponse,
  logger: Logger,
): Promise<void> {
  const source = response.streamingContent;
  const iterator: AsyncIterator<string | Buffer | Uint8Array> | Iterator<string | Buffer | Uint8Array> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  let finished = false;
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) {
        finished = true;
        break;
      }
      if (res.destroyed) break;
      if (!res.write(step.value)) await drainedOrClosed(res);
    }
    if (finished) res.end();
  } catch (error) {
    logger.error('Error while streaming a response body; the connection is closed', error);
    res.destroy();
  } finally {
    // The client left: let the generator run its `finally` blocks.
    if (!finished) await iterator.return?.();
  }
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a whole HTTP/1.1 response to a raw socket and closes it: for `Upgrade` requests that end up
 * answered as plain HTTP (no handshake happened).
 */
export function writeRawResponse(socket: Duplex, response: HttpResponse): void {
  if (!socket.writable) return;
  const body = statusHasBody(response.statusCode) && !response.streaming ? response.content : Buffer.alloc(0);
  const list = headerList(response, body.length);
  let head = `HTTP/1.1 ${response.statusCode} ${response.reasonPhrase}\r\n`;
  for (let index = 0; index < list.length; index += 2) {
    if (list[index]!.toLowerCase() !== 'connection') head += `${list[index]}: ${list[index + 1]}\r\n`;
  }
  head += 'Connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/** A plain status-only response for a socket Node's parser refused (no request object exists). */
export function writeBareStatus(socket: Duplex, status: number, extraHeaders = ''): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = `${status} ${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`,
  );
}
