import {
  createApp,
  HttpRequest,
  HttpResponse,
  HttpResponseForbidden,
  JsonResponse,
  MiddlewareMixin,
  path,
  View,
  type Logger,
} from '@manouche/core';
import { RequestFactory } from '@manouche/testing';

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Refuses requests without `?token=ok`. */
class TokenMiddleware extends MiddlewareMixin {
  override processRequest(request: HttpRequest): HttpResponse | null {
    return request.GET.get('token') === 'ok' ? null : new HttpResponseForbidden('no token');
  }
}

function greet(request: HttpRequest, params: { name?: string }): JsonResponse {
  return new JsonResponse({ hello: params.name ?? request.GET.get('name'), method: request.method });
}

class PostView extends View {
  get(): HttpResponse {
    return new HttpResponse('list');
  }
  post(request: HttpRequest): HttpResponse {
    return new HttpResponse(`created ${request.POST.get('title') ?? ''}`, { status: 201 });
  }
}

describe('RequestFactory', () => {
  const factory = new RequestFactory();

  it('returns an HttpRequest synchronously', () => {
    const request = factory.get('/posts/');
    expect(request).toBeInstanceOf(HttpRequest);
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/posts/');
  });

  it.each(['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const)(
    '%s builds a request with that method',
    (method) => {
      expect(factory[method]('/x/').method).toBe(method.toUpperCase());
    },
  );

  it('puts GET data in the query string', () => {
    const request = factory.get('/search/', { q: 'swing', tag: ['a', 'b'] });
    expect(request.GET.get('q')).toBe('swing');
    expect(request.GET.getAll('tag')).toEqual(['a', 'b']);
  });

  it('fills request.POST from a plain object, with no await', () => {
    const request = factory.post('/posts/', { title: 'Nuages' });
    expect(request.POST.get('title')).toBe('Nuages');
  });

  it("sends JSON when contentType is 'application/json'", () => {
    const request = factory.post('/api/', { id: 7 }, { contentType: 'application/json' });
    expect(request.json()).toEqual({ id: 7 });
  });

  it('sets headers, and the Host to localhost', () => {
    const request = factory.get('/', undefined, { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    expect(request.headers.get('x-requested-with')).toBe('XMLHttpRequest');
    expect(request.META.HTTP_X_REQUESTED_WITH).toBe('XMLHttpRequest');
    expect(request.getHost()).toBe('localhost');
  });

  it('makes isSecure() true with secure: true', () => {
    expect(factory.get('/', undefined, { secure: true }).isSecure()).toBe(true);
    expect(factory.get('/').isSecure()).toBe(false);
  });

  it('lets a test call a view function directly', async () => {
    const response = await greet(factory.get('/hello/', { name: 'Django' }), {});
    expect(response.json()).toEqual({ hello: 'Django', method: 'GET' });
  });

  it('lets a test call a class-based view directly', async () => {
    const view = PostView.asView();
    const request = factory.post('/posts/', { title: 'Minor swing' });
    const response = await view(request, {});
    expect(response.statusCode).toBe(201);
    expect(response.text).toBe('created Minor swing');
  });

  it("lets a test call a MiddlewareMixin subclass's processRequest directly", async () => {
    const middleware = new TokenMiddleware();
    const refused = await middleware.processRequest(factory.get('/'));
    expect(refused?.statusCode).toBe(403);
    expect(await middleware.processRequest(factory.get('/', { token: 'ok' }))).toBeNull();
  });

  it('attaches the application it was given, so settings apply to the request', () => {
    const app = createApp({ LOGGER: silent, ROOT_URLCONF: [path('', greet)] });
    expect(new RequestFactory(app).get('/').app).toBe(app);
    expect(factory.get('/').app).toBeNull();
  });

  it('builds requests an application can handle', async () => {
    const app = createApp({ LOGGER: silent, ROOT_URLCONF: [path('hello/<str:name>/', greet)] });
    const response = await app.handle(new RequestFactory(app).get('/hello/ada/'));
    expect(response.json()).toEqual({ hello: 'ada', method: 'GET' });
  });
});
