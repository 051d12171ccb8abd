import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { lookup } from 'mime-types';
import { contentDispositionHeader } from './content-disposition';
import { ResponseHeaders } from './headers';
import type { ResponseInit } from './response';
import { StreamingHttpResponse } from './streaming-response';

/** What a {@link FileResponse} serves: a file's path, or a readable stream of it. */
export type FileSource = string | Readable;

/** How a {@link FileResponse} presents the file. */
export interface FileResponseInit extends ResponseInit {
  /** `Content-Disposition: attachment`: the browser downloads it instead of showing it. */
  asAttachment?: boolean;
  /** The name the client sees (and the type is guessed from); default: the file's own name. */
  filename?: string;
}

// Django's FileResponse names compressed files by their compression, not by what they contain, so a
// browser saves `data.csv.gz` instead of unpacking it on the fly.
const COMPRESSED: Record<string, string> = {
  '.gz': 'application/gzip',
  '.br': 'application/x-brotli',
  '.bz2': 'application/x-bzip',
  '.xz': 'application/x-xz',
  '.Z': 'application/x-compress',
};

/**
 * Django's `FileResponse`: streams a file chunk by chunk (the server waits for the client to read
 * before reading on, and closes the file when the client leaves), with `Content-Length` when the size
 * is known, `Content-Type` guessed from the name (`application/octet-stream` when unknown) and
 * `Content-Disposition` from `asAttachment` and `filename` (Unicode names as RFC 6266 `filename*`).
 * Given a path, the file must exist (a missing one throws `ENOENT` in the view, a 500, rather than a
 * download cut short) and is opened only when the body is written, so a response that is replaced on
 * its way out never holds a file open. Range requests are not served, as in Django.
 */
export class FileResponse extends StreamingHttpResponse {
  constructor(file: FileSource, init: FileResponseInit = {}) {
    const { asAttachment = false, filename: given, ...responseInit } = init;
    const path = typeof file === 'string' ? file : pathOf(file);
    super(typeof file === 'string' ? chunksOf(file) : file, responseInit);
    const filename = given ?? (path === null ? '' : basename(path));
    if (
      responseInit.contentType === undefined &&
      !new ResponseHeaders(responseInit.headers).has('Content-Type')
    )
      this.headers.set('Content-Type', guessType(filename));
    if (path !== null && !this.headers.has('Content-Length')) {
      const stats = statSync(path);
      if (stats.isFile()) this.headers.set('Content-Length', String(stats.size));
    }
    const disposition = contentDispositionHeader(asAttachment, filename);
    if (disposition !== null && !this.headers.has('Content-Disposition'))
      this.headers.set('Content-Disposition', disposition);
  }
}

async function* chunksOf(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path);
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

function pathOf(stream: Readable): string | null {
  const path = (stream as Readable & { path?: unknown }).path;
  return typeof path === 'string' ? path : null;
}

function guessType(filename: string): string {
  const compressed = Object.entries(COMPRESSED).find(([extension]) => filename.endsWith(extension));
  if (compressed !== undefined) return compressed[1];
  return lookup(filename) || 'application/octet-stream';
}
