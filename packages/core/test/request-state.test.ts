import { createApp, HttpRequest, HttpResponse, MiddlewareMixin, path } from '@manouche/core';
import { Client } from '@manouche/testing';

interface User {
  name: string;
}

declare module '@manouche/core' {
  interface RequestState {
    currentUser?: User | null;
  }
}

class FakeAuthMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    request.currentUser = { name: request.headers.get('x-user') ?? 'anonymous' };
    return null;
  }
}

describe('RequestState', () => {
  it('types what middleware attaches to the request, Django style', async () => {
    const app = createApp({
      ROOT_URLCONF: [path('', (request) => new HttpResponse(`hello ${request.currentUser?.name}`))],
      MIDDLEWARE: [FakeAuthMiddleware],
    });
    const response = await new Client(app).get('/', undefined, { headers: { 'X-User': 'ada' } });
    expect(response.text).toBe('hello ada');
  });
});
