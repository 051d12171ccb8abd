import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { contentForWire, type HttpResponse } from '../http/response';
import type { StreamingHttpResponse } from '../http/streaming-response';
import type { Logger } from '../log';
import { bareBody, statusHasBody, streamResponseBody } from './outgoing';

const FAILED_WRITE_STATUS = 500;

/**
 * Fields that only mean something to one HTTP/1.1 connection: HTTP/2 forbids them in a response
 * (RFC 9113 8.2.2), and Node refuses to send them. A middleware or view that sets one (CommonMiddleware's
 * `Connection: close`, an old `Keep-Alive`) is not wrong under HTTP/1.1, so they are dropped here.
 */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The response head as HTTP/2 sends it: `:status`, the headers in lower case without the
 * connection-specific ones, no reason phrase (HTTP/2 has none).
 */
function http2Head(response: HttpResponse, bodyLength: number | null): OutgoingHttpHeaders {
  const head: OutgoingHttpHeaders = response.headers.copyLowerCaseInto(
    { [constants.HTTP2_HEADER_STATUS]: response.statusCode },
    CONNECTION_SPECIFIC,
  );
  if (response.cookies.size > 0) head['set-cookie'] = [...response.cookies.values()];
  if (bodyLength !== null && head['content-length'] === undefined) head['content-length'] = bodyLength;
  return head;
}

/**
 * Writes `response` on an HTTP/2 stream: `HEAD`, 1xx, 204 and 304 without a body (the head ends the
 * stream), a streaming body with backpressure. Never throws: a response HTTP/2 can't carry (a bad
 * header value, a status out of range) becomes a bare 500 and one error line, as over HTTP/1.1.
 */
export function writeHttp2Response(
  stream: ServerHttp2Stream,
  response: HttpResponse,
  logger: Logger,
  isHead: boolean,
): void {
  if (stream.destroyed || stream.headersSent) return;
  try {
    writeWhole(stream, response, logger, isHead);
  } catch (error) {
    answerFailedWrite(stream, response, logger, error);
  }
}

function writeWhole(
  stream: ServerHttp2Stream,
  response: HttpResponse,
  logger: Logger,
  isHead: boolean,
): void {
  const status = response.statusCode;
  if (!statusHasBody(status) || isHead) {
    const length = isHead && statusHasBody(status) && !response.streaming ? response.content.length : null;
    stream.respond(http2Head(response, length), { endStream: true });
    return;
  }
  if (response.streaming) {
    stream.respond(http2Head(response, null));
    void streamResponseBody(stream, response as StreamingHttpResponse, logger);
    return;
  }
  const body = contentForWire(response);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  stream.respond(http2Head(response, bytes.length));
  stream.end(bytes);
}

function answerFailedWrite(
  stream: ServerHttp2Stream,
  failed: HttpResponse,
  logger: Logger,
  error: unknown,
): void {
  if (stream.headersSent || stream.destroyed) {
    logger.error(
      'Internal Server Error: an HTTP/2 response failed after its head was sent; the stream is reset',
      error,
    );
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  logger.error(
    `Internal Server Error: an HTTP/2 response with status ${String(failed.statusCode)} could not be written; a bare 500 was sent instead`,
    error,
  );
  try {
    const body = Buffer.from(bareBody(FAILED_WRITE_STATUS));
    stream.respond({
      [constants.HTTP2_HEADER_STATUS]: FAILED_WRITE_STATUS,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': body.length,
    });
    stream.end(body);
  } catch {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}

/** A bare status for a stream refused before it became a request (a malformed extended CONNECT). */
export function writeHttp2BareStatus(stream: ServerHttp2Stream, status: number): void {
  if (stream.destroyed || stream.headersSent) return;
  const body = Buffer.from(bareBody(status));
  stream.respond({
    [constants.HTTP2_HEADER_STATUS]: status,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
  });
  stream.end(body);
}
