/**
 * The logger Manouche writes to. Django users know `django.request`: 4xx answers are warnings, 5xx are
 * errors with the trace. Set `LOGGER` in the settings to route the lines elsewhere (pino, winston and
 * `console` all fit this shape).
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * What a quoted value may not carry into a log line: the C0 controls (CR and LF would start a forged
 * line, ESC an ANSI sequence that drives the terminal, NUL cuts some readers short), DEL, the C1
 * controls (NEL breaks lines, U+009B is an 8-bit CSI), the Unicode line and paragraph separators
 * (line breaks to JSON tools and editors), the bidi marks, embeddings, overrides and isolates (they
 * reorder how the rest of the line is displayed), and the backslash, so that an escape in the log is
 * always ours and never one the client typed.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_IN_LOG = /[\x00-\x1f\x7f-\x9f\\\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const EVERY_UNSAFE_IN_LOG = new RegExp(UNSAFE_IN_LOG.source, 'g');

const SHORT_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\t', '\\t'],
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\\', '\\\\'],
]);

function escapeCharacter(character: string): string {
  const short = SHORT_ESCAPES.get(character);
  if (short !== undefined) return short;
  const code = character.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `value` made safe to quote in a log line: every character that could end the line, start a forged
 * one or drive the terminal that shows it is written visibly instead (`\r`, `\n`, `\t`, `\x1b`,
 * `\x00`, `\x85`, `\u2028`, `\u202e`), and a backslash is doubled, so the line reads back unambiguously.
 * Printable text, accented letters and other scripts included, is left as it is (unlike Python's
 * `unicode_escape`, which Django used for CVE-2025-48432 and which turns `é` into `\xe9`).
 *
 * Manouche passes every value a client chose (path, query, header values, reasons quoting them,
 * exception messages) through it before logging; do the same in your middleware:
 * `loggerOf(request).warn(\`Refused: ${escapeForLog(request.path)}\`)`. Escape the values, not the
 * whole line, so your own formatting stays as written.
 */
export function escapeForLog(value: string): string {
  // Almost every value has nothing to escape: one test (a third of what a replace that finds nothing
  // costs), and the same string back.
  return UNSAFE_IN_LOG.test(value) ? value.replace(EVERY_UNSAFE_IN_LOG, escapeCharacter) : value;
}

/**
 * An error's trace for the log: its first lines (`Name: message`, where the message may quote a
 * request) escaped as one value, then the stack frames, each line escaped but kept on its own line.
 */
function traceOf(error: unknown): string {
  if (!(error instanceof Error) || !error.stack) return '';
  const stack = error.stack;
  // V8 begins the stack with `String(error)`; the frames follow on lines that start with `    at `.
  let header = '';
  try {
    header = String(error);
  } catch {
    // A toString that throws: the frames are still found by their indentation.
  }
  const framesAt = header !== '' && stack.startsWith(header) ? header.length : stack.indexOf('\n    at ');
  const top = framesAt === -1 ? stack : stack.slice(0, framesAt);
  const frames = framesAt === -1 ? '' : stack.slice(framesAt);
  return `\n${escapeForLog(top)}${frames.split('\n').map(escapeForLog).join('\n')}`;
}

/**
 * Writes one line per event to stderr; an error's trace follows its line, with the message at its
 * head escaped (it often quotes what the client sent), so the trace can't carry a forged line either.
 */
export const consoleLogger: Logger = {
  info: (message) => process.stderr.write(`${message}\n`),
  warn: (message) => process.stderr.write(`${message}\n`),
  error: (message, error) => process.stderr.write(`${message}${traceOf(error)}\n`),
};
