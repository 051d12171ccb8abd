import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HttpResponse,
  InMemoryUploadedFile,
  JsonResponse,
  path,
  TemporaryUploadedFile,
  type HttpRequest,
  type UploadedFile,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { multipartBody, MULTIPART_TYPE } from './support/multipart';
import { httpRequest, rawExchange, until } from './support/raw-http';
import { createLoggedApp, serve, type Served } from './support/serve';

/** Fields and the small limits of this file: 1 KiB of fields, 4 KiB of files in memory, 64 KiB in all. */
const FIELDS_LIMIT = 1024;
const FILES_IN_MEMORY = 4096;
const BODY_LIMIT = 64 * 1024;

/** What a view saw of one uploaded file, while the request was being handled. */
interface SeenFile {
  name: string;
  contentType: string;
  size: number;
  inMemory: boolean;
  /** The temporary file's path, and whether it existed then. */
  path: string | null;
  existed: boolean;
  /** The bytes, read with chunks() (a hash would do; the files here are small). */
  text: string;
  chunks: number;
}

async function describeFile(file: UploadedFile): Promise<SeenFile> {
  const pieces: Buffer[] = [];
  for await (const chunk of file.chunks(1024)) pieces.push(chunk);
  const path = file instanceof TemporaryUploadedFile ? file.temporaryFilePath() : null;
  return {
    name: file.name,
    contentType: file.contentType,
    size: file.size,
    inMemory: file instanceof InMemoryUploadedFile,
    path,
    existed: path !== null && existsSync(path),
    text: Buffer.concat(pieces).toString('utf8'),
    chunks: pieces.length,
  };
}

async function formView(request: HttpRequest): Promise<JsonResponse> {
  const files: Record<string, SeenFile[]> = {};
  for (const [field, list] of request.FILES) files[field] = await Promise.all(list.map(describeFile));
  return new JsonResponse({ fields: [...request.POST], files });
}

/** The `manouche-*.upload` files left in `directory`. */
async function leftovers(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.upload'));
}

/** Waits until `directory` holds no upload (removal is asynchronous); the test's timeout bounds it. */
async function untilNoLeftovers(directory: string): Promise<void> {
  while ((await leftovers(directory)).length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('multipart uploads over a real socket', () => {
  let served: Served;
  let directory: string;
  let before: number;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'manouche-uploads-test-'));
    served = await serve({
      DATA_UPLOAD_MAX_MEMORY_SIZE: FIELDS_LIMIT,
      FILE_UPLOAD_MAX_MEMORY_SIZE: FILES_IN_MEMORY,
      REQUEST_MAX_BODY_SIZE: BODY_LIMIT,
      FILE_UPLOAD_TEMP_DIR: directory,
      ROOT_URLCONF: [
        path('form/', formView),
        path('body/', (request) => new HttpResponse(String(request.body.length))),
        path('ok/', () => new HttpResponse('ok')),
      ],
    });
  });
  afterAll(async () => {
    await served.close();
    await rm(directory, { recursive: true, force: true });
  });
  beforeEach(() => {
    before = served.logger.lines.length;
  });

  function post(body: Buffer): ReturnType<typeof httpRequest> {
    return httpRequest(`${served.url}/form/`, {
      method: 'POST',
      headers: { 'Content-Type': MULTIPART_TYPE },
      body,
    });
  }

  it('accepts a file larger than DATA_UPLOAD_MAX_MEMORY_SIZE: only the fields count against it, as in Django', async () => {
    const big = 'b'.repeat(FIELDS_LIMIT * 10);
    const response = await post(
      multipartBody([
        { name: 'title', value: 'Minor swing' },
        { name: 'score', filename: 'score.txt', contentType: 'text/plain', content: big },
      ]),
    );
    expect(response.status).toBe(200);
    const data = JSON.parse(response.text) as { fields: unknown; files: Record<string, SeenFile[]> };
    expect(data.fields).toEqual([['title', 'Minor swing']]);
    expect(data.files.score).toEqual([
      expect.objectContaining({ name: 'score.txt', contentType: 'text/plain', size: big.length, text: big }),
    ]);
  });

  it('keeps the files of a body of at most FILE_UPLOAD_MAX_MEMORY_SIZE in memory', async () => {
    const response = await post(
      multipartBody([
        { name: 'a', filename: 'a.txt', content: 'tiny' },
        { name: 'b', filename: 'b.txt', content: 'n'.repeat(FILES_IN_MEMORY / 2) },
      ]),
    );
    const { files } = JSON.parse(response.text) as { files: Record<string, SeenFile[]> };
    expect(files.a).toEqual([expect.objectContaining({ inMemory: true, path: null, text: 'tiny' })]);
    expect(files.b).toEqual([expect.objectContaining({ inMemory: true, size: FILES_IN_MEMORY / 2 })]);
  });

  it('writes every file of a larger body to FILE_UPLOAD_TEMP_DIR from its first byte, as Django does', async () => {
    const big = 'z'.repeat(FILES_IN_MEMORY * 3);
    const response = await post(
      multipartBody([
        { name: 'small', filename: 'a.txt', content: 'tiny' },
        { name: 'big', filename: 'b.txt', content: big },
      ]),
    );
    expect(response.status).toBe(200);
    const { files } = JSON.parse(response.text) as { files: Record<string, SeenFile[]> };
    expect(files.small).toEqual([expect.objectContaining({ inMemory: false, existed: true, text: 'tiny' })]);
    const [onDisk] = files.big!;
    expect(onDisk).toMatchObject({ inMemory: false, existed: true, size: big.length, text: big, chunks: 12 });
    expect(onDisk!.path!.startsWith(directory)).toBe(true);
  });

  it('removes the temporary files once the response is written', async () => {
    const response = await post(
      multipartBody([{ name: 'big', filename: 'b.bin', content: 'q'.repeat(FILES_IN_MEMORY * 2) }]),
    );
    const { files } = JSON.parse(response.text) as { files: Record<string, SeenFile[]> };
    expect(files.big![0]!.existed).toBe(true);
    await until(() => !existsSync(files.big![0]!.path!));
    await untilNoLeftovers(directory);
  });

  it('keeps the files of a chunked body (no declared length) in memory until they would pass FILE_UPLOAD_MAX_MEMORY_SIZE', async () => {
    const third = 'm'.repeat(Math.floor(FILES_IN_MEMORY / 3) + 1);
    const body = multipartBody(
      [1, 2, 3, 4].map((n) => ({ name: 'f', filename: `${n}.txt`, content: third })),
    );
    const response = await rawExchange(
      served.port,
      `POST /form/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${MULTIPART_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        `${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`,
    );
    const { files } = JSON.parse(response.body.toString('utf8')) as { files: Record<string, SeenFile[]> };
    // Three of them would pass the allowance together: the third goes to disk, and the fourth.
    expect(files.f!.map((file) => file.inMemory)).toEqual([true, true, false, false]);
    expect(files.f!.every((file) => file.text === third)).toBe(true);
  });

  it('reads a UTF-8 file name as UTF-8 (what browsers send), and drops any directory part', async () => {
    const response = await post(
      multipartBody([
        { name: 'a', filename: 'résumé – Django.pdf', content: '%PDF' },
        { name: 'b', filename: '../../etc/passwd', content: 'x' },
      ]),
    );
    const { files } = JSON.parse(response.text) as { files: Record<string, SeenFile[]> };
    expect(files.a![0]!.name).toBe('résumé – Django.pdf');
    expect(files.b![0]!.name).toBe('passwd');
  });

  it('refuses fields over DATA_UPLOAD_MAX_MEMORY_SIZE with 413, removing the files already written', async () => {
    const response = await post(
      multipartBody([
        { name: 'big', filename: 'b.bin', content: 'q'.repeat(FILES_IN_MEMORY * 2) },
        { name: 'comment', value: 'c'.repeat(FIELDS_LIMIT) },
      ]),
    );
    expect(response.status).toBe(413);
    expect(served.logger.messages().slice(before)).toEqual([
      'Request Entity Too Large: /form/ (The multipart fields exceed DATA_UPLOAD_MAX_MEMORY_SIZE (1024 bytes))',
    ]);
    await untilNoLeftovers(directory);
  });

  it('refuses a body over REQUEST_MAX_BODY_SIZE, files included, with 413', async () => {
    const response = await post(
      multipartBody([{ name: 'big', filename: 'b.bin', content: 'q'.repeat(BODY_LIMIT) }]),
    );
    expect(response.status).toBe(413);
    expect(served.logger.messages().slice(before)).toEqual([
      expect.stringMatching(
        /^Request Entity Too Large: \/form\/ \(Request body of \d+ bytes exceeds REQUEST_MAX_BODY_SIZE \(65536\)\)$/,
      ),
    ]);
  });

  it('refuses a chunked body once it passes REQUEST_MAX_BODY_SIZE, and leaves no file behind', async () => {
    const body = multipartBody([{ name: 'big', filename: 'b.bin', content: 'q'.repeat(BODY_LIMIT) }]);
    const chunked = `${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`;
    const response = await rawExchange(
      served.port,
      `POST /form/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${MULTIPART_TYPE}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`,
    );
    expect(response.status).toBe(413);
    expect(served.logger.messages().slice(before)).toEqual([
      'Request Entity Too Large: /form/ (Request body exceeds REQUEST_MAX_BODY_SIZE (65536))',
    ]);
    await untilNoLeftovers(directory);
  });

  it('removes the temporary file of a client that leaves mid-upload, with one log line', async () => {
    const body = multipartBody([
      { name: 'big', filename: 'b.bin', content: 'q'.repeat(FILES_IN_MEMORY * 4) },
    ]);
    await rawExchange(served.port, (socket) => {
      socket.write(
        `POST /form/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${MULTIPART_TYPE}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      // Past the in-memory allowance, so a temporary file exists when the client leaves.
      socket.write(body.subarray(0, FILES_IN_MEMORY * 3), () => setTimeout(() => socket.destroy(), 50));
    });
    await until(() => served.logger.lines.length > before);
    expect(served.logger.messages().slice(before)).toEqual([
      expect.stringMatching(/^Client disconnected while sending the body of POST \/form\//),
    ]);
    await untilNoLeftovers(directory);
  });

  it('answers a malformed multipart body with 400 when POST is read, keeping the connection usable', async () => {
    const body = Buffer.from(`--wrong\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--wrong--\r\n`);
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(served.logger.messages().slice(before)).toEqual([
      expect.stringMatching(/^Bad Request: \/form\/ \(Malformed multipart body/),
    ]);
  });

  it('reading request.body after a streamed multipart body is RawPostDataException (500), as in Django', async () => {
    const response = await httpRequest(`${served.url}/body/`, {
      method: 'POST',
      headers: { 'Content-Type': MULTIPART_TYPE },
      body: multipartBody([{ name: 'a', value: '1' }]),
    });
    expect(response.status).toBe(500);
    const [line] = served.logger.lines.slice(before);
    expect(line!.message).toBe('Internal Server Error: /body/');
    expect((line!.error as Error).name).toBe('RawPostDataException');
  });
});

describe('multipart bodies built in process (test client)', () => {
  it('parses them with the same parser, files in memory (the body already is)', async () => {
    const { app } = createLoggedApp({
      FILE_UPLOAD_MAX_MEMORY_SIZE: 10,
      ROOT_URLCONF: [path('form/', formView)],
    });
    const body = multipartBody([
      { name: 'name', value: 'Django' },
      { name: 'f', filename: 'f.txt', content: 'x'.repeat(100) },
    ]);
    const response = await new Client(app).post('/form/', body, { contentType: MULTIPART_TYPE });
    const data = JSON.parse(response.text) as { fields: unknown; files: Record<string, SeenFile[]> };
    expect(data.fields).toEqual([['name', 'Django']]);
    expect(data.files.f).toEqual([expect.objectContaining({ inMemory: true, size: 100 })]);
  });
});

describe('request.json() and deep nesting', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({
      DATA_UPLOAD_MAX_JSON_DEPTH: 20,
      ROOT_URLCONF: [path('json/', (request) => new JsonResponse({ received: request.json() }))],
    });
  });
  afterAll(() => served.close());

  function postJson(body: string): Promise<Response> {
    return fetch(`${served.url}/json/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
  }

  it('refuses arrays and objects nested deeper than DATA_UPLOAD_MAX_JSON_DEPTH with 400, before parsing', async () => {
    const before = served.logger.lines.length;
    const response = await postJson('['.repeat(21) + ']'.repeat(21));
    expect(response.status).toBe(400);
    expect(served.logger.messages().slice(before)).toEqual([
      'Bad Request: /json/ (JSON body nested deeper than DATA_UPLOAD_MAX_JSON_DEPTH (20))',
    ]);
  });

  it('refuses the deep body of the issue (1.9 MB of nesting, ~56 MB once parsed) at the default depth', async () => {
    const { app } = createLoggedApp({
      ROOT_URLCONF: [path('json/', (request) => new JsonResponse({ received: request.json() }))],
    });
    const depth = 950_000;
    const response = await new Client(app).post('/json/', '['.repeat(depth) + ']'.repeat(depth), {
      contentType: 'application/json',
    });
    expect(response.statusCode).toBe(400);
  });

  it('parses nesting up to the limit, and does not count brackets inside strings', async () => {
    const nested = '{"a":'.repeat(19) + '["[[[{{{\\"]]]"]' + '}'.repeat(19);
    const response = await postJson(nested);
    expect(response.status).toBe(200);
    let value = ((await response.json()) as { received: unknown }).received;
    for (let level = 0; level < 19; level++) value = (value as { a: unknown }).a;
    expect(value).toEqual(['[[[{{{"]]]']);
  });
});
