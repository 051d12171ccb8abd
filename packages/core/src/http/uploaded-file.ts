import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** What describes an uploaded file, whatever holds its bytes. */
export interface UploadedFileInfo {
  /** The form field's name. */
  readonly fieldName: string;
  /** The file name the client sent, without any directory part. */
  readonly name: string;
  /** The part's `Content-Type` (`application/octet-stream` when the client sent none). */
  readonly contentType: string;
}

/**
 * A file from a multipart body: Django's `UploadedFile`. It is an {@link InMemoryUploadedFile} (its
 * bytes in `content`) or, past `FILE_UPLOAD_MAX_MEMORY_SIZE`, a {@link TemporaryUploadedFile} (its
 * bytes on disk at `temporaryFilePath()`). Both read the same way: `chunks()` or `read()`.
 */
export abstract class UploadedFile implements UploadedFileInfo {
  /** The chunk size `chunks()` uses by default: 64 KiB, as Django's. */
  static readonly DEFAULT_CHUNK_SIZE = 64 * 1024;

  readonly fieldName: string;
  readonly name: string;
  readonly contentType: string;
  /** The size in bytes. */
  readonly size: number;

  protected constructor(info: UploadedFileInfo, size: number) {
    this.fieldName = info.fieldName;
    this.name = info.name;
    this.contentType = info.contentType;
    this.size = size;
  }

  /** The bytes in pieces of at most `chunkSize`, without holding the whole file in memory. */
  abstract chunks(chunkSize?: number): AsyncIterableIterator<Buffer>;

  /** The whole file in one buffer (for a big one, prefer `chunks()`). */
  abstract read(): Promise<Buffer>;

  /**
   * Releases what holds the bytes: a temporary file is removed. The server does it once the response
   * is written (or the client left), so a view only calls it to free the space earlier.
   */
  abstract close(): Promise<void>;

  /** Whether `chunks(chunkSize)` yields more than one piece (Django's `multiple_chunks()`). */
  multipleChunks(chunkSize: number = UploadedFile.DEFAULT_CHUNK_SIZE): boolean {
    return this.size > chunkSize;
  }
}

/** An uploaded file held in memory (Django's `InMemoryUploadedFile`). */
export class InMemoryUploadedFile extends UploadedFile {
  /** The bytes. */
  readonly content: Buffer;

  constructor(info: UploadedFileInfo, content: Buffer) {
    super(info, content.length);
    this.content = content;
  }

  async *chunks(chunkSize: number = UploadedFile.DEFAULT_CHUNK_SIZE): AsyncIterableIterator<Buffer> {
    for (let start = 0; start < this.content.length; start += chunkSize) {
      yield this.content.subarray(start, start + chunkSize);
    }
  }

  read(): Promise<Buffer> {
    return Promise.resolve(this.content);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * An uploaded file written to a temporary file in `FILE_UPLOAD_TEMP_DIR` (Django's
 * `TemporaryUploadedFile`). The file is removed once the response is written; move or copy it
 * before then to keep it.
 */
export class TemporaryUploadedFile extends UploadedFile {
  readonly #path: string;

  constructor(info: UploadedFileInfo, path: string, size: number) {
    super(info, size);
    this.#path = path;
  }

  /** Where the bytes are (Django's `temporary_file_path()`). */
  temporaryFilePath(): string {
    return this.#path;
  }

  async *chunks(chunkSize: number = UploadedFile.DEFAULT_CHUNK_SIZE): AsyncIterableIterator<Buffer> {
    for await (const chunk of createReadStream(this.#path, { highWaterMark: chunkSize })) {
      yield chunk as Buffer;
    }
  }

  read(): Promise<Buffer> {
    return readFile(this.#path);
  }

  close(): Promise<void> {
    return rm(this.#path, { force: true });
  }
}

/** The bytes of uploaded files one request may still keep in memory, shared by its files. */
export interface MemoryAllowance {
  bytesLeft: number;
}

/**
 * Where busboy writes one file: in memory while the request's {@link MemoryAllowance} lasts, then
 * in a new temporary file (the bytes so far first). A Writable, so a slow disk holds the parser back
 * (and with it the socket) instead of piling chunks up in memory. Destroyed, it removes its file.
 */
export class UploadSink extends Writable {
  readonly #info: UploadedFileInfo;
  readonly #allowance: MemoryAllowance;
  readonly #directory: string;
  #chunks: Buffer[] = [];
  #inMemory = 0;
  #size = 0;
  #path: string | null = null;
  #handle: FileHandle | null = null;
  #diskError: Error | null = null;

  constructor(info: UploadedFileInfo, allowance: MemoryAllowance, directory: string) {
    super();
    this.#info = info;
    this.#allowance = allowance;
    this.#directory = directory;
  }

  /** Why writing to disk failed, if it did (the other errors a sink sees are its source's). */
  get diskError(): Error | null {
    return this.#diskError;
  }

  /** The finished file; only once the sink has emitted `finish`. */
  file(): UploadedFile {
    return this.#path === null
      ? new InMemoryUploadedFile(
          this.#info,
          this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks),
        )
      : new TemporaryUploadedFile(this.#info, this.#path, this.#size);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#size += chunk.length;
    if (this.#handle === null && chunk.length <= this.#allowance.bytesLeft) {
      this.#allowance.bytesLeft -= chunk.length;
      this.#inMemory += chunk.length;
      this.#chunks.push(chunk);
      callback();
      return;
    }
    this.#writeToDisk(chunk).then(
      () => callback(),
      (error: Error) => {
        this.#diskError = error;
        callback(error);
      },
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = null;
    if (handle === null) callback();
    else handle.close().then(() => callback(), callback);
  }

  /**
   * Runs after `finish` with no error (the file is kept: it now belongs to its `UploadedFile`), or on
   * an aborted upload with one: then whatever was written goes. A write may still be pending (the
   * parser was destroyed mid-chunk); closing its handle makes it fail, which nobody awaits any more.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error === null) {
      callback(null);
      return;
    }
    const handle = this.#handle;
    const path = this.#path;
    this.#handle = null;
    this.#chunks = [];
    this.#release();
    void (async () => {
      await handle?.close().catch(() => undefined);
      if (path !== null) await rm(path, { force: true }).catch(() => undefined);
    })().then(() => callback(error));
  }

  async #writeToDisk(chunk: Buffer): Promise<void> {
    const handle = this.#handle ?? (await this.#createFile());
    if (handle !== null) await writeAll(handle, [chunk]);
  }

  /** Opens the temporary file and moves the bytes held so far into it; `null` if aborted meanwhile. */
  async #createFile(): Promise<FileHandle | null> {
    const path = join(this.#directory, `manouche-${randomUUID()}.upload`);
    this.#path = path;
    const handle = await open(path, 'wx', 0o600);
    if (this.destroyed) {
      // Aborted while the file was being created: _destroy found nothing to remove yet.
      await handle.close();
      await rm(path, { force: true });
      return null;
    }
    this.#handle = handle;
    const held = this.#chunks;
    this.#chunks = [];
    await writeAll(handle, held);
    this.#release();
    return handle;
  }

  /** Gives the request's allowance back what this file held in memory. */
  #release(): void {
    this.#allowance.bytesLeft += this.#inMemory;
    this.#inMemory = 0;
  }
}

async function writeAll(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, offset);
      offset += bytesWritten;
    }
  }
}
