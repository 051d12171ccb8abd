import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { constants, createGzip, gzipSync, type Gzip } from 'node:zlib';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { StreamingContent, StreamingHttpResponse } from '../http/streaming-response';
import { MiddlewareMixin } from './mixin';
import { patchVaryHeaders } from '../http/vary';

/** Bodies shorter than this are not worth compressing (Django's threshold). */
const MIN_COMPRESSIBLE_LENGTH = 200;
const PARTIAL_CONTENT = 206;
/** Django's `compresslevel=6` (zlib's default). */
const GZIP_LEVEL = 6;
/** The fixed gzip header (RFC 1952): magic, method, flags, mtime, extra flags, OS. */
const GZIP_HEADER_LENGTH = 10;
const GZIP_FLAGS_OFFSET = 3;
const GZIP_FLAG_FNAME = 0x08;

/**
 * Django's `GZipMiddleware`: compresses the body for clients that accept gzip.
 *
 * A response is left alone when its (non-streaming) body is under 200 bytes, when it already has a
 * `Content-Encoding`, when it is a 206, or when it is an event stream (`text/event-stream`: each event
 * must reach the client at once, uncompressed, as proxies and `EventSource` expect). Otherwise it gets `Vary: Accept-Encoding` (merged into any
 * existing `Vary`), and, when the request's `Accept-Encoding` allows gzip (`gzip` or `x-gzip` with a
 * non-zero `q`, or `*` when gzip isn't listed), is compressed:
 *
 * - an in-memory body is compressed at once, and used only when it comes out smaller; `Content-Length`
 *   is set to the compressed size;
 * - a {@link StreamingHttpResponse}'s `streamingContent` is wrapped so each chunk is compressed and
 *   flushed as it passes (the client still sees every chunk when it is produced); `Content-Length` is
 *   removed.
 *
 * A strong `ETag` becomes weak (`W/"..."`), as the compressed bytes differ from the original ones.
 * Like Django 4.2, the gzip header carries a file name of 0-99 random bytes (`maxRandomBytes`) so the
 * compressed length leaks less about the content (the "Heal The Breach" mitigation of BREACH).
 *
 * Place it before (above) any middleware that reads or changes the body. Works in `MIDDLEWARE` and
 * `MIDDLEWARE_CLASSES`.
 */
export class GZipMiddleware extends MiddlewareMixin {
  /** Up to this many (minus one) random bytes go in the gzip header; 0 turns the padding off. */
  protected maxRandomBytes = 100;

  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    if (!response.streaming && response.content.length < MIN_COMPRESSIBLE_LENGTH) return response;
    if (response.headers.has('Content-Encoding')) return response;
    if (response.statusCode === PARTIAL_CONTENT) return response;
    // Each event must reach the client when it is sent; compression would hold it in the gzip window.
    if (isEventStream(response)) return response;

    patchVaryHeaders(response, ['Accept-Encoding']);
    if (!acceptsGzip(request.headers.get('accept-encoding'))) return response;

    if (response.streaming) {
      const streaming = response as StreamingHttpResponse;
      streaming.streamingContent = compressSequence(streaming.streamingContent, this.#paddingLength());
      response.headers.delete('Content-Length');
    } else {
      const compressed = compressString(response.content, this.#paddingLength());
      if (compressed.length >= response.content.length) return response;
      response.content = compressed;
      response.headers.set('Content-Length', compressed.length);
    }

    const etag = response.headers.get('ETag');
    if (etag !== null && etag.startsWith('"')) response.headers.set('ETag', `W/${etag}`);
    response.headers.set('Content-Encoding', 'gzip');
    return response;
  }

  #paddingLength(): number {
    return this.maxRandomBytes > 0 ? randomInt(this.maxRandomBytes) : -1;
  }
}

function isEventStream(response: HttpResponse): boolean {
  return (response.headers.get('Content-Type') ?? '').toLowerCase().startsWith('text/event-stream');
}

/**
 * Whether an `Accept-Encoding` value allows gzip (RFC 9110 12.5.3): `gzip` or `x-gzip` with `q` > 0;
 * or, when neither is listed, `*` with `q` > 0.
 */
function acceptsGzip(acceptEncoding: string | null): boolean {
  if (acceptEncoding === null) return false;
  let wildcard = 0;
  for (const entry of acceptEncoding.split(',')) {
    const [coding = '', ...params] = entry.split(';');
    const name = coding.trim().toLowerCase();
    let quality = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
      if (match) quality = Number(match[1]);
    }
    if (name === 'gzip' || name === 'x-gzip') return quality > 0;
    if (name === '*') wildcard = quality;
  }
  return wildcard > 0;
}

function compressString(content: Buffer, paddingLength: number): Buffer {
  return withFileName(gzipSync(content, { level: GZIP_LEVEL }), paddingLength);
}

/**
 * Puts a file name of `length` `a`s in a gzip header (`length` < 0: leaves the header alone). `data`
 * starts with the 10-byte fixed header, which Node's zlib writes without optional fields.
 */
function withFileName(data: Buffer, length: number): Buffer {
  if (length < 0) return data;
  const header = Buffer.from(data.subarray(0, GZIP_HEADER_LENGTH));
  header[GZIP_FLAGS_OFFSET] = header[GZIP_FLAGS_OFFSET]! | GZIP_FLAG_FNAME;
  const name = Buffer.alloc(length + 1, 'a');
  name[length] = 0;
  return Buffer.concat([header, name, data.subarray(GZIP_HEADER_LENGTH)]);
}

/**
 * Compresses a streaming body chunk by chunk through one gzip stream, flushing (`Z_SYNC_FLUSH`) after
 * each chunk so the client gets it without waiting for the next. Stopping early (the client left)
 * stops the source too and frees the zlib stream.
 */
async function* compressSequence(
  source: StreamingContent,
  paddingLength: number,
): AsyncGenerator<Buffer, void, undefined> {
  const gzip = createGzip({ level: GZIP_LEVEL });
  const output: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => output.push(chunk));
  let pending: Buffer = Buffer.alloc(0);
  let headerDone = false;
  // Everything produced so far, once the fixed header is complete (and given its file name).
  const take = (): Buffer | null => {
    if (output.length === 0) return null;
    let data: Buffer = Buffer.concat(output.splice(0));
    if (!headerDone) {
      data = Buffer.concat([pending, data]);
      if (data.length < GZIP_HEADER_LENGTH) {
        pending = data;
        return null;
      }
      headerDone = true;
      data = withFileName(data, paddingLength);
    }
    return data.length > 0 ? data : null;
  };
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (bytes.length === 0) continue;
      gzip.write(bytes);
      await flushed(gzip);
      const data = take();
      if (data !== null) yield data;
    }
    const ended = once(gzip, 'end');
    gzip.end();
    await ended;
    const rest = take();
    if (rest !== null) yield rest;
  } finally {
    gzip.close();
  }
}

function flushed(gzip: Gzip): Promise<void> {
  return new Promise((resolve, reject) => {
    gzip.once('error', reject);
    gzip.flush(constants.Z_SYNC_FLUSH, () => {
      gzip.off('error', reject);
      resolve();
    });
  });
}
