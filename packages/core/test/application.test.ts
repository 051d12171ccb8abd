import { HttpResponse, JsonResponse, path } from '@manouche/core';
import { serve, type Served } from './support/serve';

describe('Application over a real socket', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ROOT_URLCONF: [
        path('', () => new HttpResponse('Hello, world')),
        path('posts/<int:id>/', (request, params) => new JsonResponse({ params, q: request.GET.get('q') })),
      ],
    });
  });
  afterAll(() => served.close());

  it('serves a view on 127.0.0.1', async () => {
    const response = await fetch(`${served.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('Hello, world');
  });

  it('passes converted URL parameters and the query string to the view', async () => {
    const response = await fetch(`${served.url}/posts/42/?q=hi`);
    expect(await response.json()).toEqual({ params: { id: 42 }, q: 'hi' });
  });

  it('answers an unknown path with 404 and one log line', async () => {
    const before = served.logger.lines.length;
    const response = await fetch(`${served.url}/missing/`);
    expect(response.status).toBe(404);
    expect(served.logger.messages().slice(before)).toEqual(['Not Found: /missing/']);
  });
});
