import busboy from 'busboy';
import { pipeline, type Readable } from 'node:stream';
import { BadRequest, RequestDataTooBig } from '../exceptions';
import { QueryDict } from './query-dict';
import { UploadSink, type MemoryAllowance, type UploadedFile } from './uploaded-file';

/** What a form body parses into. */
export interface ParsedForm {
  readonly POST: QueryDict;
  readonly FILES: Map<string, UploadedFile[]>;
}

/** The media type of a `Content-Type` value, lower case, without parameters. */
export function mediaType(contentType: string | null): string {
  if (!contentType) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** The limits a multipart body is parsed under (from the settings). */
export interface MultipartLimits {
  /** `DATA_UPLOAD_MAX_NUMBER_FIELDS`: most parts, fields and files together (more: 400). */
  readonly maxParts: number;
  /** `DATA_UPLOAD_MAX_MEMORY_SIZE`: most bytes of non-file fields, names included (more: 413). */
  readonly maxFieldBytes: number;
  /** File bytes kept in memory (0: every file goes to disk); the rest go to temporary files. */
  readonly maxMemoryFileBytes: number;
  /** Where temporary files are created (`FILE_UPLOAD_TEMP_DIR`, resolved). */
  readonly temporaryDirectory: string;
}

/**
 * Parses a `multipart/form-data` body as it arrives, with busboy (boundaries and part headers are
 * subtle; busboy is the parser the Node ecosystem trusts). Feed it with `write()` (heeding its
 * backpressure: `false` means wait for `onDrain`) and `end()`; `result` settles once every file is
 * complete. It holds at most `maxFieldBytes` of fields and `maxMemoryFileBytes` of files in memory.
 *
 * A malformed body or too many parts rejects `result` with {@link BadRequest}, fields over their
 * limit with {@link RequestDataTooBig}, a failing disk with the disk's error; from then on `write()`
 * discards, so the rest of the body can be drained. Temporary files of a failed parse are removed.
 */
export class MultipartParser {
  /** The parsed form, or the reason there is none. Never unhandled: nobody needs to await it. */
  readonly result: Promise<ParsedForm>;
  readonly #limits: MultipartLimits;
  // Filled as fields arrive; what the request exposes is an immutable copy, as Django's request.POST.
  readonly #fields: Array<[string, string]> = [];
  readonly #FILES = new Map<string, UploadedFile[]>();
  readonly #sinks = new Set<UploadSink>();
  readonly #allowance: MemoryAllowance;
  readonly #parser: busboy.Busboy | null;
  #fieldBytes = 0;
  #pendingFiles = 0;
  #parsed = false;
  #failure: Error | null = null;
  #drainListener: (() => void) | null = null;
  #settle!: (form: ParsedForm) => void;
  #reject!: (error: Error) => void;

  constructor(contentType: string, limits: MultipartLimits) {
    this.#limits = limits;
    this.#allowance = { bytesLeft: limits.maxMemoryFileBytes };
    this.result = new Promise<ParsedForm>((resolve, reject) => {
      this.#settle = resolve;
      this.#reject = reject;
    });
    this.result.catch(() => undefined);
    this.#parser = this.#createParser(contentType);
  }

  /** Whether the parse failed (then the rest of the body is only drained). */
  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Feeds `chunk`; `false` asks the caller to wait for `onDrain` before the next one. */
  write(chunk: Buffer): boolean {
    if (this.#failure !== null || this.#parser === null) return true;
    return this.#parser.write(chunk);
  }

  /** Calls `listener` once the parser wants more (after `write()` returned `false`), or has failed. */
  onDrain(listener: () => void): void {
    this.#drainListener = listener;
    this.#parser?.once('drain', () => this.#drained());
  }

  /** The body is complete. */
  end(): void {
    if (this.#failure === null) this.#parser?.end();
  }

  /** Stops for good (the client left, or the body broke a limit): removes every temporary file. */
  abort(error: Error): void {
    this.#fail(error);
  }

  #createParser(contentType: string): busboy.Busboy | null {
    const limits = this.#limits;
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        // Browsers send file names as raw UTF-8 in `filename="..."`; busboy's default reads Latin-1.
        defParamCharset: 'utf8',
        limits: {
          parts: limits.maxParts,
          // One past the limit, so busboy's truncation can only mean "over the limit".
          fieldSize: limits.maxFieldBytes + 1,
        },
      });
    } catch (error) {
      this.#fail(new BadRequest(`Malformed multipart body: ${(error as Error).message}`));
      return null;
    }
    parser.on('field', (name: string, value: string, info: busboy.FieldInfo) => {
      // Django counts the name, the value and 2 more bytes, as `&` and `=` in an urlencoded body.
      this.#fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
      if (info.valueTruncated || this.#fieldBytes > limits.maxFieldBytes) {
        this.#fail(
          new RequestDataTooBig(
            `The multipart fields exceed DATA_UPLOAD_MAX_MEMORY_SIZE (${limits.maxFieldBytes} bytes)`,
          ),
        );
        return;
      }
      this.#fields.push([name, value]);
    });
    parser.on('file', (fieldName: string, stream: Readable, info: busboy.FileInfo) =>
      this.#receiveFile(fieldName, stream, info),
    );
    parser.on('partsLimit', () =>
      this.#fail(
        new BadRequest(
          `The number of multipart parts exceeded ${limits.maxParts} (DATA_UPLOAD_MAX_NUMBER_FIELDS)`,
        ),
      ),
    );
    parser.on('error', (error: Error) =>
      this.#fail(new BadRequest(`Malformed multipart body: ${error.message}`)),
    );
    parser.on('close', () => {
      this.#parsed = true;
      this.#settleWhenComplete();
    });
    return parser;
  }

  #receiveFile(fieldName: string, stream: Readable, info: busboy.FileInfo): void {
    const sink = new UploadSink(
      { fieldName, name: info.filename ?? '', contentType: info.mimeType },
      this.#allowance,
      this.#limits.temporaryDirectory,
    );
    this.#sinks.add(sink);
    this.#pendingFiles++;
    pipeline(stream, sink, (error) => {
      this.#pendingFiles--;
      if (error) {
        // A broken body reaches the parser's 'error' too (a 400); only a failing disk is news here.
        if (sink.diskError !== null) this.#fail(diskError(sink.diskError, this.#limits));
        return;
      }
      const file = sink.file();
      const files = this.#FILES.get(fieldName);
      if (files) files.push(file);
      else this.#FILES.set(fieldName, [file]);
      this.#settleWhenComplete();
    });
  }

  #settleWhenComplete(): void {
    if (this.#failure === null && this.#parsed && this.#pendingFiles === 0)
      this.#settle({ POST: new QueryDict(this.#fields), FILES: this.#FILES });
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#parser?.destroy();
    for (const sink of this.#sinks) sink.destroy(error);
    for (const files of this.#FILES.values()) for (const file of files) void file.close();
    this.#reject(error);
    this.#drained();
  }

  #drained(): void {
    const listener = this.#drainListener;
    this.#drainListener = null;
    listener?.();
  }
}

function diskError(error: Error, limits: MultipartLimits): Error {
  const wrapped = new Error(
    `Could not write an upload to a temporary file in FILE_UPLOAD_TEMP_DIR (${limits.temporaryDirectory}): ${error.message}`,
  );
  wrapped.cause = error;
  return wrapped;
}

/** Every file of a parsed form. */
export function filesOf(form: ParsedForm): UploadedFile[] {
  return [...form.FILES.values()].flat();
}

/**
 * Whether a JSON text nests arrays and objects deeper than `maxDepth`, found without parsing it: a
 * deeply nested body costs ~30 times its size once parsed, so it is refused before.
 */
export function jsonNestsDeeperThan(body: Buffer, maxDepth: number): boolean {
  // Each level takes at least one byte.
  if (body.length <= maxDepth) return false;
  let depth = 0;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index]!;
    if (byte === QUOTE) {
      index = endOfString(body, index);
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The index of the quote that closes the string opened at `start` (the end of `body` if none). */
function endOfString(body: Buffer, start: number): number {
  let quote = body.indexOf(QUOTE, start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    while (body[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = body.indexOf(QUOTE, quote + 1);
  }
  return body.length;
}
