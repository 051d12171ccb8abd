import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileResponse, path } from '@manouche/core';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Django's FileResponse over a real socket.

const dir = mkdtempSync(join(tmpdir(), 'manouche-files-'));
const big = randomBytes(3 * 1024 * 1024 + 17);
let served: Served;

beforeAll(async () => {
  writeFileSync(join(dir, 'report.pdf'), '%PDF-1.4 tiny');
  writeFileSync(join(dir, 'notes.txt'), 'plain notes');
  writeFileSync(join(dir, 'big.bin'), big);
  writeFileSync(join(dir, 'data.csv.gz'), Buffer.from([0x1f, 0x8b, 8, 0]));
  writeFileSync(join(dir, 'mystery'), 'who knows');
  served = await serve({
    ROOT_URLCONF: [
      path('report/', () => new FileResponse(join(dir, 'report.pdf'))),
      path(
        'download/',
        () => new FileResponse(join(dir, 'notes.txt'), { asAttachment: true, filename: 'résumé.txt' }),
      ),
      path('big/', () => new FileResponse(join(dir, 'big.bin'), { asAttachment: true })),
      path('gz/', () => new FileResponse(join(dir, 'data.csv.gz'))),
      path('mystery/', () => new FileResponse(join(dir, 'mystery'))),
      path('stream/', () => new FileResponse(createReadStream(join(dir, 'notes.txt')))),
      path('typed/', () => new FileResponse(join(dir, 'notes.txt'), { contentType: 'text/markdown' })),
      path('missing/', () => new FileResponse(join(dir, 'nope.txt'))),
    ],
  });
});
afterAll(async () => {
  await served.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('FileResponse', () => {
  it('serves a file inline with its type and length guessed from it', async () => {
    const response = await httpRequest(`${served.url}/report/`);
    expect(response.status).toBe(200);
    expect(response.text).toBe('%PDF-1.4 tiny');
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-length']).toBe('13');
    expect(response.headers['content-disposition']).toBe('inline; filename="report.pdf"');
  });

  it('offers a download under a Unicode name with an RFC 6266 filename*', async () => {
    const response = await httpRequest(`${served.url}/download/`);
    expect(response.headers['content-disposition']).toBe("attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt");
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.text).toBe('plain notes');
  });

  it('streams a large file intact, with its exact length', async () => {
    const response = await httpRequest(`${served.url}/big/`);
    expect(response.headers['content-length']).toBe(String(big.length));
    expect(response.body.equals(big)).toBe(true);
  });

  it('names a compressed file by its compression, as Django does', async () => {
    expect((await httpRequest(`${served.url}/gz/`)).headers['content-type']).toBe('application/gzip');
  });

  it('falls back to application/octet-stream for a name without a known type', async () => {
    expect((await httpRequest(`${served.url}/mystery/`)).headers['content-type']).toBe(
      'application/octet-stream',
    );
  });

  it('serves a readable stream, taking the name and length from its path', async () => {
    const response = await httpRequest(`${served.url}/stream/`);
    expect(response.text).toBe('plain notes');
    expect(response.headers['content-length']).toBe('11');
    expect(response.headers['content-disposition']).toBe('inline; filename="notes.txt"');
  });

  it('keeps a content type given by the view', async () => {
    expect((await httpRequest(`${served.url}/typed/`)).headers['content-type']).toBe('text/markdown');
  });

  it('answers a HEAD with the headers and no body', async () => {
    const response = await httpRequest(`${served.url}/report/`, { method: 'HEAD' });
    expect(response.headers['content-length']).toBe('13');
    expect(response.body).toHaveLength(0);
  });

  it('makes a missing file an error in the view (500), not a download cut short', async () => {
    const response = await httpRequest(`${served.url}/missing/`);
    expect(response.status).toBe(500);
    expect(served.logger.at('error')[0]).toMatch(/^Internal Server Error: \/missing\//);
  });
});
