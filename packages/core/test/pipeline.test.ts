import {
  HttpRequest,
  HttpResponse,
  MemorySessionStore,
  MiddlewareMixin,
  PermissionDenied,
  SessionMiddleware,
  setViewEnding,
  setViewRunner,
  type SessionStore,
  type ViewEnding,
  path,
  type GetResponse,
  type LegacyMiddleware,
  type MiddlewareFactory,
  type Settings,
} from '@manouche/core';
import { createLoggedApp } from './support/serve';

// What the pipeline promises about time: a stack that answers at once is answered at once (the server
// writes such a response in the tick its request arrived, without a promise), and a stack that
// answers later gives the same response, later. Observed through app.respond(), the server's entry.

const SECRET = 'pipeline-test-secret-key-pipeline-test-secret-key';

const hello = (): HttpResponse => new HttpResponse('hello');

function appWith(stack: Partial<Settings>, view: (request: HttpRequest) => HttpResponse = hello) {
  return createLoggedApp({ ROOT_URLCONF: [path('', view)], ...stack }).app;
}

function request(): HttpRequest {
  return new HttpRequest({ path: '/', headers: { host: 'localhost' } });
}

/** A `MIDDLEWARE` factory whose layer hands back whatever `getResponse` gave it. */
const passThrough: MiddlewareFactory = (getResponse) => (r) => getResponse(r);

/** A legacy middleware whose hooks answer synchronously, passing everything through. */
class SyncHooks implements LegacyMiddleware {
  processRequest(): null {
    return null;
  }
  processView(): null {
    return null;
  }
  processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
    response.headers.set('X-Sync', 'yes');
    return response;
  }
}

describe('app.respond()', () => {
  it('answers with the response itself when every MIDDLEWARE_CLASSES hook answers synchronously', () => {
    const answer = appWith({ MIDDLEWARE_CLASSES: [SyncHooks, SyncHooks] }).respond(request());
    expect(answer).toBeInstanceOf(HttpResponse);
    expect((answer as HttpResponse).text).toBe('hello');
    expect((answer as HttpResponse).headers.get('X-Sync')).toBe('yes');
  });

  it('answers with the response itself through pass-through MIDDLEWARE layers', () => {
    const answer = appWith({ MIDDLEWARE: [passThrough, passThrough, passThrough] }).respond(request());
    expect(answer).toBeInstanceOf(HttpResponse);
    expect((answer as HttpResponse).text).toBe('hello');
  });

  it('answers with the response itself through MiddlewareMixin layers in MIDDLEWARE whose hooks answer synchronously', () => {
    class SyncMixin extends MiddlewareMixin {
      override processRequest(): null {
        return null;
      }
      override processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
        response.headers.set('X-Mixin', `${response.headers.get('X-Mixin') ?? ''}+`);
        return response;
      }
    }
    const answer = appWith({ MIDDLEWARE: [SyncMixin, SyncMixin, SyncMixin] }).respond(request());
    expect(answer).toBeInstanceOf(HttpResponse);
    expect((answer as HttpResponse).headers.get('X-Mixin')).toBe('+++');
  });

  it('answers with a promise when a MiddlewareMixin hook answers later, its processResponse still run', async () => {
    class LaterMixin extends MiddlewareMixin {
      override processRequest(): Promise<null> {
        return Promise.resolve(null);
      }
      override processResponse(_request: HttpRequest, response: HttpResponse): Promise<HttpResponse> {
        response.headers.set('X-Later-Mixin', 'yes');
        return Promise.resolve(response);
      }
    }
    const answer = appWith({ MIDDLEWARE: [LaterMixin] }).respond(request());
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).headers.get('X-Later-Mixin')).toBe('yes');
  });

  it('answers with the response itself through SessionMiddleware when the session store answers at once', () => {
    const answer = appWith({ MIDDLEWARE: [SessionMiddleware], SECRET_KEY: SECRET }, (r: HttpRequest) => {
      r.session.set('seen', true);
      return new HttpResponse('hello');
    }).respond(request());
    expect(answer).toBeInstanceOf(HttpResponse);
    expect([(answer as HttpResponse).statusCode, (answer as HttpResponse).text]).toEqual([200, 'hello']);
    expect((answer as HttpResponse).cookies.get('sessionid')).toBeDefined();
  });

  it('answers with a promise of the same response when the session store answers later', async () => {
    const memory = new MemorySessionStore();
    const later: SessionStore = {
      load: async (key) => memory.load(key),
      save: async (key, data, expiresAt) => memory.save(key, data, expiresAt),
      delete: async (key) => memory.delete(key),
    };
    const answer = appWith(
      { MIDDLEWARE: [SessionMiddleware], SESSION_STORE: later, SECRET_KEY: SECRET },
      (r: HttpRequest) => {
        r.session.set('seen', true);
        return new HttpResponse('hello');
      },
    ).respond(request());
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).cookies.get('sessionid')).toBeDefined();
  });

  it('answers with the response itself when MIDDLEWARE is empty', () => {
    expect(appWith({ MIDDLEWARE: [] }).respond(request())).toBeInstanceOf(HttpResponse);
  });

  it('answers with a promise of the same response once a hook answers later', async () => {
    class AsyncRequest extends SyncHooks {
      override processRequest(): null {
        return Promise.resolve(null) as unknown as null;
      }
    }
    const answer = appWith({ MIDDLEWARE_CLASSES: [SyncHooks, AsyncRequest, SyncHooks] }).respond(request());
    expect(answer).toBeInstanceOf(Promise);
    const response = await answer;
    expect(response.text).toBe('hello');
    expect(response.headers.get('X-Sync')).toBe('yes');
  });

  it('answers with a promise when a layer answers later, and with its response', async () => {
    const later: MiddlewareFactory = (getResponse) => async (r) => {
      const response = await getResponse(r);
      response.headers.set('X-Later', 'yes');
      return response;
    };
    const answer = appWith({ MIDDLEWARE: [passThrough, later] }).respond(request());
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).headers.get('X-Later')).toBe('yes');
  });

  it('turns a synchronous throw into its response, still synchronously', () => {
    class Forbidding implements LegacyMiddleware {
      processRequest(): never {
        throw new PermissionDenied('no');
      }
    }
    const answer = appWith({ MIDDLEWARE_CLASSES: [Forbidding] }).respond(request());
    expect((answer as HttpResponse).statusCode).toBe(403);
  });

  it('turns a rejection into its response', async () => {
    const rejecting: MiddlewareFactory = () => () => Promise.reject(new PermissionDenied('later'));
    const answer = appWith({ MIDDLEWARE: [rejecting] }).respond(request());
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).statusCode).toBe(403);
  });

  it('keeps the order of hooks when synchronous and asynchronous ones alternate', async () => {
    const order: string[] = [];
    const recording = (name: string, later: boolean) =>
      class implements LegacyMiddleware {
        processRequest(): null | Promise<null> {
          order.push(`request ${name}`);
          return later ? Promise.resolve(null) : null;
        }
        processResponse(_r: HttpRequest, response: HttpResponse): HttpResponse | Promise<HttpResponse> {
          order.push(`response ${name}`);
          return later ? Promise.resolve(response) : response;
        }
      };
    const app = appWith({
      MIDDLEWARE_CLASSES: [recording('A', false), recording('B', true), recording('C', false)],
    });
    expect((await app.respond(request())).text).toBe('hello');
    expect(order).toEqual(['request A', 'request B', 'request C', 'response C', 'response B', 'response A']);
  });

  it('lets two applications answer in the same tick, each with its own response', () => {
    const first = appWith({ MIDDLEWARE: [passThrough] }, () => new HttpResponse('first'));
    const second = appWith({ MIDDLEWARE: [passThrough] }, () => new HttpResponse('second'));
    const fromFirst = first.respond(request());
    const fromSecond = second.respond(request());
    expect((fromFirst as HttpResponse).text).toBe('first');
    expect((fromSecond as HttpResponse).text).toBe('second');
  });
});

describe('getResponse in MIDDLEWARE', () => {
  it('always returns a promise, even when everything inside answered at once', async () => {
    let seen: unknown = null;
    const spying: MiddlewareFactory = (getResponse) => (r) => {
      seen = getResponse(r);
      return seen as Promise<HttpResponse>;
    };
    await appWith({ MIDDLEWARE: [spying] }).handle(request());
    expect(seen).toBeInstanceOf(Promise);
  });

  it('hands an outer layer the very promise a pass-through inner layer returned', async () => {
    const returned: Array<Promise<HttpResponse>> = [];
    const recording: MiddlewareFactory = (getResponse: GetResponse) => (r) => {
      const promise = getResponse(r);
      returned.push(promise);
      return promise;
    };
    await appWith({ MIDDLEWARE: [recording, recording] }).handle(request());
    // The outer layer (first) gets back exactly what the inner one returned: no promise per layer.
    expect(returned).toHaveLength(2);
    expect(returned[0]).toBe(returned[1]);
  });

  it('never rejects: a layer that throws inside reaches the outer one as its response', async () => {
    let outerSaw: number | null = null;
    const outer: MiddlewareFactory = (getResponse) => async (r) => {
      const response = await getResponse(r);
      outerSaw = response.statusCode;
      return response;
    };
    const throwing: MiddlewareFactory = () => () => {
      throw new PermissionDenied('inside');
    };
    expect((await appWith({ MIDDLEWARE: [outer, throwing] }).handle(request())).statusCode).toBe(403);
    expect(outerSaw).toBe(403);
  });
});

describe('app.respondTo()', () => {
  it('delivers in the same tick when every layer answered synchronously, in both modes', () => {
    for (const stack of [{ MIDDLEWARE: [passThrough] }, { MIDDLEWARE_CLASSES: [SyncHooks] }]) {
      const delivered: HttpResponse[] = [];
      appWith(stack).respondTo(request(), { deliver: (response) => delivered.push(response) });
      expect(delivered.map((response) => response.text)).toEqual(['hello']);
    }
  });

  it('delivers once, later, what a view that answers later answered', async () => {
    const delivered: HttpResponse[] = [];
    const app = createLoggedApp({
      ROOT_URLCONF: [path('', async () => new HttpResponse('later'))],
      MIDDLEWARE: [passThrough],
    }).app;
    app.respondTo(request(), { deliver: (response) => delivered.push(response) });
    expect(delivered).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered.map((response) => response.text)).toEqual(['later']);
  });

  it('delivers the converted error of a view that fails later, as respond() answers it', async () => {
    const failing = async (): Promise<HttpResponse> => {
      throw new PermissionDenied('later');
    };
    const app = createLoggedApp({ ROOT_URLCONF: [path('', failing)], MIDDLEWARE: [passThrough] }).app;
    const delivered = await new Promise<HttpResponse>((resolve) =>
      app.respondTo(request(), { deliver: resolve }),
    );
    expect(delivered.statusCode).toBe(403);
    expect((await app.handle(request())).statusCode).toBe(403);
  });
});

describe('setViewEnding()', () => {
  /** A middleware whose runner starts the view itself and leaves what its answer becomes to `ending`. */
  function endingWith(ending: ViewEnding, seen: string[]): typeof MiddlewareMixin {
    return class extends MiddlewareMixin {
      override processRequest(r: HttpRequest): null {
        setViewRunner(r, (req, view, params) => {
          setViewEnding(req, ending);
          return Promise.resolve(view(req, params));
        });
        return null;
      }
      override processException(_r: HttpRequest, error: unknown): HttpResponse {
        seen.push(`processException ${(error as Error).message}`);
        return new HttpResponse('handled', { status: 500 });
      }
      override processResponse(_r: HttpRequest, response: HttpResponse): HttpResponse {
        seen.push(`processResponse ${response.text}`);
        return response;
      }
    };
  }

  it("gives processResponse what the ending made of the view's answer, in both modes", async () => {
    for (const mode of ['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const) {
      const seen: string[] = [];
      const ending: ViewEnding = {
        returned: (_r, value) => new HttpResponse(`ended after ${(value as HttpResponse).text}`),
        threw: (_r, error) => {
          throw error;
        },
      };
      const app = appWith({ [mode]: [endingWith(ending, seen)] });
      expect((await app.handle(request())).text).toBe('ended after hello');
      expect(seen).toEqual(['processResponse ended after hello']);
    }
  });

  it('applies the ending too when a processView hook answered later', async () => {
    const seen: string[] = [];
    class LateProcessView extends MiddlewareMixin {
      override async processView(): Promise<null> {
        await new Promise((resolve) => setImmediate(resolve));
        return null;
      }
    }
    const ending: ViewEnding = {
      returned: (_r, value) => new HttpResponse(`ended after ${(value as HttpResponse).text}`),
      threw: (_r, error) => {
        throw error;
      },
    };
    const app = appWith({ MIDDLEWARE: [endingWith(ending, seen), LateProcessView] });
    expect((await app.handle(request())).text).toBe('ended after hello');
    expect(seen).toEqual(['processResponse ended after hello']);
  });

  it('lets processException see what the ending throws', async () => {
    const seen: string[] = [];
    const ending: ViewEnding = {
      returned: () => Promise.reject(new Error('the connection failed')),
      threw: (_r, error) => {
        throw error;
      },
    };
    const response = await appWith({ MIDDLEWARE: [endingWith(ending, seen)] }).handle(request());
    expect(response.statusCode).toBe(500);
    expect(seen).toEqual(['processException the connection failed', 'processResponse handled']);
  });
});
