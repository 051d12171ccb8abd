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

/** A field a request may carry once: its name as usually spelled, in lower case, and its bit. */
interface SingletonField {
  name: string;
  lower: string;
  bit: number;
}

/**
 * Fields a request may carry once, whose repeats Node drops silently (it keeps the first line): a
 * proxy in front that kept another line would route, authenticate or parse the body differently
 * from us. Indexed by name length, so most header names are passed over with one array read; each
 * has a bit in the mask of fields seen, so the scan allocates nothing.
 */
const SINGLETONS_BY_LENGTH: ReadonlyArray<SingletonField | undefined> = (() => {
  const table: Array<SingletonField | undefined> = [];
  // Host: RFC 9112 3.2 requires the 400. The three names differ in length, so none hides another.
  const names = ['Host', 'Content-Type', 'Authorization'];
  for (const [index, name] of names.entries())
    table[name.length] = { name, lower: name.toLowerCase(), bit: 1 << index };
  return table;
})();

function isField(name: string, field: SingletonField): boolean {
  // The usual spellings first: no lower-case copy of the name per request.
  return name === field.name || name === field.lower || name.toLowerCase() === field.lower;
}

/**
 * Refuses, with {@link BadRequest}, what Node's parser lets through but HTTP forbids: a singleton
 * field sent twice, `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 6.1: its framing can't be
 * trusted), and a transfer coding other than `chunked` (Node would hand the view the still-encoded
 * bytes). Node itself refuses `Transfer-Encoding` with `Content-Length`, repeated or listed
 * `Content-Length`s and a `Transfer-Encoding` that does not end in `chunked`.
 */
export function assertUnambiguousHead(incoming: IncomingMessage): void {
  const raw = incoming.rawHeaders;
  let seen = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    const field = SINGLETONS_BY_LENGTH[name.length];
    if (field === undefined || !isField(name, field)) continue;
    if ((seen & field.bit) !== 0) {
      const lines = raw.filter((other, at) => at % 2 === 0 && isField(other, field)).length;
      throw new BadRequest(`${lines} ${field.name} header lines; a request may carry only one`);
    }
    seen |= field.bit;
  }
  const codings = incoming.headers['transfer-encoding'];
  if (codings === undefined) return;
  if (incoming.httpVersionMajor === 1 && incoming.httpVersionMinor === 0)
    throw new BadRequest(
      "Transfer-Encoding in an HTTP/1.0 request: its framing can't be trusted (RFC 9112 6.1)",
    );
  if (codings.trim().toLowerCase() !== 'chunked')
    throw new BadRequest(`Transfer-Encoding ${JSON.stringify(codings)} is not supported; only chunked is`);
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
 * The request for an answer to a message that could not become one (an unusable target, an
 * ambiguous head, a body too big): the real one when it can be built, else the same message for `/`.
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
