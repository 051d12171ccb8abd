/** A part of a multipart body: a plain field, or a file. */
export type Part =
  | { name: string; value: string }
  | { name: string; filename: string; contentType?: string; content: Buffer | string };

/** The boundary {@link multipartBody} uses. */
export const BOUNDARY = 'manouche-test-boundary';

/** The `Content-Type` of a body built by {@link multipartBody}. */
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/**
 * A `multipart/form-data` body as browsers send it (file names raw UTF-8 in `filename="..."`),
 * split in the head of each part and the rest, so a test can send part of it.
 */
export function multipartBody(parts: readonly Part[]): Buffer {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if ('filename' in part) {
      head += `; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}`;
    }
    pieces.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'));
    pieces.push(Buffer.from('filename' in part ? part.content : part.value));
    pieces.push(Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}
