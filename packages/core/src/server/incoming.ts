import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { BadRequest, ClientDisconnected, RequestDataTooBig } from '../exceptions';
import { HttpRequest, type UpgradeContext } from '../http/request';

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

/**
 * The request for an answer to a message that could not become one (an unusable target, a body too
 * big): the real one when it can be built, else the same message for `/`.
 */
export function requestForRefusal(incoming: IncomingMessage): HttpRequest {
  try {
    return requestFromIncoming(incoming, undefined, null);
  } catch {
    const copy = Object.create(incoming) as IncomingMessage;
    copy.url = '/';
    return requestFromIncoming(copy, undefined, null);
  }
}
