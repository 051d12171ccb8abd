import {
  decoratorFromMiddleware,
  HttpResponse,
  MiddlewareMixin,
  path,
  TemplateResponse,
  type HttpRequest,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { createLoggedApp } from './support/serve';

/** Records the hooks it runs and answers for `?stop=request|view` and a view error. */
class Recorder extends MiddlewareMixin {
  static calls: string[] = [];
  override processRequest(request: HttpRequest): HttpResponse | null {
    Recorder.calls.push('processRequest');
    return request.GET.get('stop') === 'request' ? new HttpResponse('stopped in processRequest') : null;
  }
  override processView(request: HttpRequest): HttpResponse | null {
    Recorder.calls.push('processView');
    return request.GET.get('stop') === 'view' ? new HttpResponse('stopped in processView') : null;
  }
  override processException(_request: HttpRequest, error: unknown): HttpResponse | null {
    Recorder.calls.push('processException');
    return new HttpResponse(`handled: ${(error as Error).message}`, { status: 503 });
  }
  override processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
    Recorder.calls.push(
      `processResponse(${response instanceof TemplateResponse && !response.isRendered ? 'unrendered' : 'rendered'})`,
    );
    response.headers.set('X-Decorated', 'yes');
    return response;
  }
}

const recorded = decoratorFromMiddleware(Recorder);

const routes = [
  path(
    'plain/',
    recorded(() => {
      Recorder.calls.push('view');
      return new HttpResponse('view');
    }),
  ),
  path(
    'fails/',
    recorded(() => {
      throw new Error('view broke');
    }),
  ),
  path(
    'template/',
    recorded((request) => new TemplateResponse(request, { render: () => 'rendered page' })),
  ),
];

describe('decoratorFromMiddleware()', () => {
  function client(): Client {
    Recorder.calls = [];
    return new Client(createLoggedApp({ ROOT_URLCONF: routes, MIDDLEWARE: [] }).app);
  }

  it("runs the middleware's hooks around one view, in Django's order", async () => {
    const response = await client().get('/plain/');
    expect(response.text).toBe('view');
    expect(response.headers.get('X-Decorated')).toBe('yes');
    expect(Recorder.calls).toEqual(['processRequest', 'processView', 'view', 'processResponse(rendered)']);
  });

  it('a processRequest or processView answer replaces the view, and processResponse is not run', async () => {
    expect((await client().get('/plain/', { stop: 'request' })).text).toBe('stopped in processRequest');
    expect(Recorder.calls).toEqual(['processRequest']);
    expect((await client().get('/plain/', { stop: 'view' })).text).toBe('stopped in processView');
    expect(Recorder.calls).toEqual(['processRequest', 'processView']);
  });

  it("offers the view's error to processException", async () => {
    const response = await client().get('/fails/');
    expect(response.statusCode).toBe(503);
    expect(response.text).toBe('handled: view broke');
  });

  it('runs processResponse after a TemplateResponse is rendered, as Django does', async () => {
    const response = await client().get('/template/');
    expect(response.text).toBe('rendered page');
    expect(response.headers.get('X-Decorated')).toBe('yes');
    expect(Recorder.calls).toEqual(['processRequest', 'processView', 'processResponse(rendered)']);
  });
});
