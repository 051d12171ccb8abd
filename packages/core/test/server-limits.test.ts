import { HttpResponse, JsonResponse, path } from '@manouche/core';
import { rawExchange } from './support/raw-http';
import { serve, type Served } from './support/serve';

const LIMIT = 1024;

const views = [
  path('ok/', () => new HttpResponse('ok')),
  path('upload/', (request) => new JsonResponse({ size: request.body.length })),
  path('form/', (request) => new JsonResponse({ files: request.FILES.size })),
];

/** Rejects when `promise` has not settled after `ms`: a bound on a wait, not a timing assertion. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

describe('request bodies refused before they are read', () => {
  let served: Served;
  let before: number;

  beforeAll(async () => {
    served = await serve({ DATA_UPLOAD_MAX_MEMORY_SIZE: LIMIT, ROOT_URLCONF: views });
  });
  afterAll(() => served.close());
  beforeEach(() => {
    before = served.logger.lines.length;
  });

  it('checks ALLOWED_HOSTS before reading the body: a foreign host is answered 400 with the body unsent', async () => {
    // The body is never sent: the answer can only come from the head.
    const response = await within(
      5000,
      rawExchange(
        served.port,
        `POST /upload/ HTTP/1.1\r\nHost: evil.example\r\nContent-Type: text/plain\r\nContent-Length: ${LIMIT}\r\n\r\n`,
      ),
      'the answer for a foreign host',
    );
    expect(response.status).toBe(400);
    expect(served.logger.messages().slice(before)).toEqual([
      expect.stringMatching(/^Bad Request: \/upload\/ \(Invalid HTTP_HOST header: "evil.example"/),
    ]);
  });
});
