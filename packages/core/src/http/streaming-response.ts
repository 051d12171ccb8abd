import { HttpResponse, type ResponseInit } from './response';

/** What a streaming response's body may come from. */
export type StreamingContent =
  AsyncIterable<string | Buffer | Uint8Array> | Iterable<string | Buffer | Uint8Array>;

/**
 * A response whose body is an (async) iterable, written chunk by chunk as the client reads it: the
 * server waits for `drain` before pulling the next chunk, and stops the iterator when the client goes.
 * Its `content` can't be read (Django raises too): use `streamingContent`.
 */
export class StreamingHttpResponse extends HttpResponse {
  override readonly streaming: boolean = true;
  /** The body's chunks; consumed once, by the server. */
  streamingContent: StreamingContent;

  constructor(streamingContent: StreamingContent, init: ResponseInit = {}) {
    super(undefined, init);
    this.streamingContent = streamingContent;
  }

  override get content(): Buffer {
    throw new TypeError('This StreamingHttpResponse has no `content`; use `streamingContent` instead.');
  }

  override set content(_value: string | Buffer) {
    throw new TypeError('This StreamingHttpResponse has no `content`; set `streamingContent` instead.');
  }

  /** Reads the whole stream into one buffer (for tests; a server never does this). */
  async collect(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.streamingContent)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
}
