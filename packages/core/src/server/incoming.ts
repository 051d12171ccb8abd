import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { BadRequest, ClientDisconnected, RequestDataTooBig } from '../exceptions';
import { MultipartParser, type ParsedForm } from '../http/body';
import { HttpRequest, receiveBody } from '../http/request';
import type { UpgradeContext } from '../http/upgrade-context';
import type { ResolvedSettings } from '../settings';

/**
 * What a body is read from: Node's `IncomingMessage` for HTTP/1.1, the request's stream for HTTP/2
 * (which has no `complete`: there, a body that ended is one whose stream ended, unless `aborted`
 * says the client reset it).
 */
export type BodySource = Readable & { readonly complete?: boolean; readonly aborted?: boolean };

/** Whether the request announces a body (most GETs do not, and skip all of the body machinery). */
export function hasBody(incoming: IncomingMessage): boolean {
  const length = incoming.headers['content-length'];
  return (length !== undefined && length !== '0') || incoming.headers['transfer-encoding'] !== undefined;
}

/**
 * Whether the body is read as multipart (streamed: files to disk, only fields count against
 * `DATA_UPLOAD_MAX_MEMORY_SIZE`) rather than held whole in memory.
 */
function isMultipart(request: HttpRequest): boolean {
  return request.contentType === 'multipart/form-data';
}

/**
 * Refuses, from its `Content-Length` alone, a body over the limit its kind is read under, so an
 * honest oversized upload is answered before a byte of it is read (nor `100 Continue` sent).
 */
export function checkDeclaredLength(request: HttpRequest, settings: ResolvedSettings): void {
  const header = request.headers.get('content-length');
  if (header === null) return;
  const declared = Number(header);
  const total = settings.REQUEST_MAX_BODY_SIZE;
  if (declared > total)
    throw new RequestDataTooBig(`Request body of ${declared} bytes exceeds REQUEST_MAX_BODY_SIZE (${total})`);
  const inMemory = settings.DATA_UPLOAD_MAX_MEMORY_SIZE;
  if (!isMultipart(request) && declared > inMemory)
    throw new RequestDataTooBig(
      `Request body of ${declared} bytes exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (${inMemory})`,
    );
}

/**
 * Reads the body of `request` and gives it to the request: a multipart body streamed through the
 * parser (its files to `FILE_UPLOAD_TEMP_DIR` unless they fit `FILE_UPLOAD_MAX_MEMORY_SIZE`), any
 * other buffered.
 * Resolves to the parsed form (its files are the caller's to close once answered), or `null`.
 *
 * Rejects with {@link RequestDataTooBig} past a limit, {@link ClientDisconnected} when the client
 * leaves mid-body, a disk error, or `stop`'s reason once it aborts (the server gave up on the
 * request: it timed out); nothing read stays behind then (temporary files are removed).
 * A malformed multipart body is not a rejection: it is drained and kept for `POST` to throw (400),
 * as Django only complains when the form is read.
 */
export async function readRequestBody(
  incoming: BodySource,
  request: HttpRequest,
  settings: ResolvedSettings,
  stop: BodyReading,
): Promise<ParsedForm | null> {
  if (!isMultipart(request)) {
    const limit = Math.min(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.REQUEST_MAX_BODY_SIZE);
    const setting =
      limit === settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ? 'DATA_UPLOAD_MAX_MEMORY_SIZE'
        : 'REQUEST_MAX_BODY_SIZE';
    receiveBody(request, { raw: await readBody(incoming, limit, setting, stop) });
    return null;
  }
  // As Django decides: a body declared larger than FILE_UPLOAD_MAX_MEMORY_SIZE sends every file to
  // disk from its first byte; a chunked one keeps files in memory until they would pass it.
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  const inMemory = settings.FILE_UPLOAD_MAX_MEMORY_SIZE;
  const parser = new MultipartParser(request.headers.get('content-type')!, {
    maxParts: settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
    maxFieldBytes: settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    maxMemoryFileBytes: declared > inMemory ? 0 : inMemory,
    temporaryDirectory: settings.FILE_UPLOAD_TEMP_DIR ?? tmpdir(),
  });
  await streamBody(incoming, settings.REQUEST_MAX_BODY_SIZE, parser, stop);
  try {
    const form = await parser.result;
    receiveBody(request, { form });
    return form;
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error;
    receiveBody(request, { formError: error });
    return null;
  }
}

/**
 * Buffers the body, refusing more than `limit` bytes with {@link RequestDataTooBig} (a chunked body
 * declares no length: it is counted as it comes).
 */
function readBody(
  incoming: BodySource,
  limit: number,
  setting: string,
  signal: BodyReading,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = watchBody(incoming, {
      data: (chunk) => {
        size += chunk.length;
        if (size > limit) {
          stop();
          reject(new RequestDataTooBig(`Request body exceeds ${setting} (${limit})`));
          return;
        }
        chunks.push(chunk);
      },
      end: () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)),
      fail: reject,
      signal,
    });
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
 * Feeds the body to `parser` as it arrives, pausing the socket while the parser (or the disk behind
 * it) catches up, and refusing more than `limit` bytes in all. After a parse failure the rest is
 * only counted and dropped, so a malformed form still gets its 400 on a healthy connection.
 */
function streamBody(
  incoming: BodySource,
  limit: number,
  parser: MultipartParser,
  signal: BodyReading,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const fail = (error: Error): void => {
      stop();
      parser.abort(error);
      // The parser may have been holding the socket back.
      incoming.resume();
      reject(error);
    };
    const stop = watchBody(incoming, {
      data: (chunk) => {
        size += chunk.length;
        if (size > limit) {
          fail(new RequestDataTooBig(`Request body exceeds REQUEST_MAX_BODY_SIZE (${limit})`));
          return;
        }
        if (!parser.write(chunk)) {
          incoming.pause();
          parser.onDrain(() => incoming.resume());
        }
      },
      end: () => {
        parser.end();
        resolve();
      },
      fail,
      signal,
    });
    // A failure that must not wait for the rest of the body (fields too big, a failing disk).
    parser.result.catch((error: unknown) => {
      if (!(error instanceof BadRequest)) fail(error as Error);
    });
  });
}

interface BodyWatcher {
  data(chunk: Buffer): void;
  end(): void;
  fail(error: Error): void;
  /** Aborted when the server gives up on the request: `fail` gets its reason. */
  signal: BodyReading;
}

/**
 * How the server gives up on a body it is reading (its request timed out): `abort(reason)` stops the
 * reading, which rejects with `reason`. An AbortController would do, but one is made per request
 * with a body, and its EventTarget machinery cost a few microseconds each.
 */
export class BodyReading {
  #onAbort: ((reason: Error) => void) | null = null;
  #aborted = false;

  /** Stops the reading, if still listening: it rejects with `reason`. */
  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const onAbort = this.#onAbort;
    this.#onAbort = null;
    onAbort?.(reason);
  }

  /** Whether `abort()` was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** The reader's: `onAbort` runs on the first `abort()` while listening. */
  listen(onAbort: (reason: Error) => void): void {
    this.#onAbort = onAbort;
  }

  unlisten(): void {
    this.#onAbort = null;
  }
}

/**
 * Listens to a body until it ends, fails, the client leaves (a {@link ClientDisconnected}) or the
 * signal aborts; the returned function stops listening. Whatever comes after is dropped unread.
 */
function watchBody(incoming: BodySource, watcher: BodyWatcher): () => void {
  let stopped = false;
  const { signal } = watcher;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    incoming.off('data', onData);
    incoming.off('end', onEnd);
    incoming.off('error', onError);
    incoming.off('close', onClose);
    signal.unlisten();
  };
  const onAbort = (reason: Error): void => {
    stop();
    watcher.fail(reason);
  };
  const onData = (chunk: Buffer): void => watcher.data(chunk);
  const onEnd = (): void => {
    // An HTTP/2 stream the client reset mid-body ends its readable side too: a truncated body.
    if (incoming.aborted === true) {
      onError(new Error('the client reset the stream before sending the whole body'));
      return;
    }
    stop();
    watcher.end();
  };
  const onError = (error: Error): void => {
    stop();
    watcher.fail(new ClientDisconnected(error.message));
  };
  const onClose = (): void => {
    if (!(incoming.complete ?? incoming.readableEnded))
      onError(new Error('the client disconnected before sending the whole body'));
  };
  incoming.on('data', onData);
  incoming.on('end', onEnd);
  incoming.on('error', onError);
  incoming.on('close', onClose);
  signal.listen(onAbort);
  return stop;
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
  const { path, queryString } = splitTarget(incoming.url ?? '/');
  const socket = incoming.socket;
  return new HttpRequest({
    method: incoming.method,
    path,
    queryString,
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
 * The decoded path and the raw query string of a request target (HTTP/1.1's, or HTTP/2's `:path`).
 * A malformed escape or an unusable target is a {@link BadRequest}.
 */
export function splitTarget(requestTarget: string): { path: string; queryString: string } {
  let target = requestTarget;
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
  return { path, queryString: question === -1 ? '' : target.slice(question + 1) };
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
