/** Quoted-string characters (RFC 9110 5.6.4) that need no escaping but `"` and `\`: tab, space, 0x21-0x7e. */
const QUOTABLE = /^[\t\x20-\x7e]*$/;

/** RFC 8187 `attr-char`: what may stand unescaped in an extended value such as `filename*`. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/** `%XX` for each UTF-8 byte that is not an `attr-char` (RFC 8187 3.2.1). */
function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/**
 * A `Content-Disposition` value for a download (Django's `content_disposition_header`, RFC 6266):
 * `attachment` or `inline`, then `filename="..."` (quotes and backslashes escaped) for a name of
 * printable ASCII, else `filename*=utf-8''...` with the UTF-8 bytes percent-encoded, which every
 * current browser reads. `null` for an inline response without a filename (no header is needed).
 *
 * ```ts
 * response.headers.set('Content-Disposition', contentDispositionHeader(true, 'résumé.pdf')!);
 * // attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
 * ```
 */
export function contentDispositionHeader(asAttachment: boolean, filename: string): string | null {
  if (filename === '') return asAttachment ? 'attachment' : null;
  const disposition = asAttachment ? 'attachment' : 'inline';
  if (QUOTABLE.test(filename)) return `${disposition}; filename="${filename.replace(/[\\"]/g, '\\$&')}"`;
  return `${disposition}; filename*=utf-8''${percentEncode(filename)}`;
}
