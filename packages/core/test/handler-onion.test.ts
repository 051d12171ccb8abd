import {
  createApp,
  Http404,
  HttpRequest,
  HttpResponse,
  ImproperlyConfigured,
  MiddlewareMixin,
  MiddlewareNotUsed,
  PermissionDenied,
  path,
  type GetResponse,
  type MiddlewareClass,
  type MiddlewareEntry,
  type MiddlewareFactory,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import {
  decodeHtml,
  exchange,
  handleInProcess,
  legacyMiddleware,
  mixinMiddleware,
  nextTick,
  onionMiddleware,
  recordingView,
  type Calls,
} from './support/middleware-recorder';

/** The three view-level hooks, recording and passing through. */
const VIEW_HOOKS = { processView: true, processTemplateResponse: true, processException: true } as const;

function settings(middleware: MiddlewareEntry[], view: ViewFunction) {
  return { MIDDLEWARE: middleware, ROOT_URLCONF: [path('', view), path('posts/<int:id>/', view)] };
}

describe('MIDDLEWARE (onion): loading, once, at createApp', () => {
  it('builds the layers from the inside out: C, then B, then A, each given one getResponse', async () => {
    const built: string[] = [];
    const layer = (name: string): MiddlewareClass =>
      class {
        readonly getResponse: GetResponse;
        constructor(...args: unknown[]) {
          built.push(`${name}(${args.length} ${typeof args[0]})`);
          this.getResponse = args[0] as GetResponse;
        }
        call(request: HttpRequest): Promise<HttpResponse> {
          return this.getResponse(request);
        }
      };
    const app = createApp({
      MIDDLEWARE: [layer('A'), layer('B'), layer('C')],
      ROOT_URLCONF: [path('', () => new HttpResponse('ok'))],
    });
    expect(built).toEqual(['C(1 function)', 'B(1 function)', 'A(1 function)']);

    const client = new Client(app);
    expect((await client.get('/')).statusCode).toBe(200);
    expect((await client.get('/')).statusCode).toBe(200);
    expect(built).toHaveLength(3);
  });

  it('calls a factory once with getResponse and uses the function it returns as the layer', async () => {
    const calls: Calls = [];
    let factoryCalls = 0;
    const factory: MiddlewareFactory = function timing(getResponse) {
      factoryCalls += 1;
      return async (request) => {
        calls.push('factory.before');
        const response = await getResponse(request);
        calls.push(`factory.after:${response.statusCode}`);
        response.headers.set('x-factory', 'yes');
        return response;
      };
    };
    const served = await exchange(settings([factory], recordingView(calls)), '/');
    expect(factoryCalls).toBe(1);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-factory')).toBe('yes');
    expect(calls).toEqual(['factory.before', 'view', 'factory.after:200']);
  });

  it('a factory that returns nothing is ImproperlyConfigured at createApp', () => {
    const returnsNothing = function brokenFactory() {
      return undefined;
    } as unknown as MiddlewareFactory;
    expect(() =>
      createApp({ MIDDLEWARE: [returnsNothing], ROOT_URLCONF: [path('', () => new HttpResponse())] }),
    ).toThrow(ImproperlyConfigured);
    expect(() =>
      createApp({ MIDDLEWARE: [returnsNothing], ROOT_URLCONF: [path('', () => new HttpResponse())] }),
    ).toThrow(/brokenFactory/);
  });

  it('a class whose constructor throws MiddlewareNotUsed is dropped: its layer and its hooks never run', async () => {
    const calls: Calls = [];
    const Unused = class B {
      constructor() {
        calls.push('B.constructor');
        throw new MiddlewareNotUsed('not here');
      }
      call(): HttpResponse {
        calls.push('B.before');
        return new HttpResponse('B');
      }
      processView(): void {
        calls.push('B.processView');
      }
    };
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, { processView: true }),
          Unused as unknown as MiddlewareClass,
          onionMiddleware('C', calls, { processView: true }),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(200);
    expect(served.body).toBe('view');
    expect(calls).toEqual([
      'B.constructor',
      'A.before',
      'C.before',
      'A.processView',
      'C.processView',
      'view',
      'C.after:200',
      'A.after:200',
    ]);
  });

  it('a factory that throws MiddlewareNotUsed is dropped and the outer layer calls the inner one', async () => {
    const calls: Calls = [];
    const unused: MiddlewareFactory = () => {
      throw new MiddlewareNotUsed();
    };
    const served = await exchange(
      settings([onionMiddleware('A', calls), unused, onionMiddleware('C', calls)], recordingView(calls)),
    );
    expect(served.status).toBe(200);
    expect(calls).toEqual(['A.before', 'C.before', 'view', 'C.after:200', 'A.after:200']);
  });

  it('a constructor that throws anything else fails createApp', () => {
    const Broken = class Broken {
      constructor() {
        throw new TypeError('bad config');
      }
      call(): HttpResponse {
        return new HttpResponse();
      }
    };
    expect(() => createApp(settings([Broken], () => new HttpResponse()))).toThrow('bad config');
  });

  it('a class with only processRequest/processResponse (no call, no MiddlewareMixin) is ImproperlyConfigured', () => {
    const calls: Calls = [];
    const PlainLegacy = legacyMiddleware('PlainLegacy', calls, {
      processRequest: true,
      processResponse: true,
    });
    expect(() =>
      createApp(settings([PlainLegacy as unknown as MiddlewareClass], () => new HttpResponse())),
    ).toThrow(ImproperlyConfigured);
    expect(() =>
      createApp(settings([PlainLegacy as unknown as MiddlewareClass], () => new HttpResponse())),
    ).toThrow(/PlainLegacy/);
  });

  it('MIDDLEWARE set (even to []) is used and MIDDLEWARE_CLASSES is ignored', async () => {
    const calls: Calls = [];
    const served = await exchange({
      MIDDLEWARE: [],
      MIDDLEWARE_CLASSES: [legacyMiddleware('Legacy', calls)],
      ROOT_URLCONF: [path('', recordingView(calls))],
    });
    expect(served.status).toBe(200);
    expect(calls).toEqual(['view']);
  });

  it('MIDDLEWARE and MIDDLEWARE_CLASSES both non-empty is ImproperlyConfigured', () => {
    const calls: Calls = [];
    expect(() =>
      createApp({
        MIDDLEWARE: [onionMiddleware('A', calls)],
        MIDDLEWARE_CLASSES: [legacyMiddleware('Legacy', calls)],
        ROOT_URLCONF: [],
      }),
    ).toThrow(ImproperlyConfigured);
  });
});

describe('MIDDLEWARE (onion): per request', () => {
  it('runs the request phases A, B, C, the view hooks A, B, C, the view, then the response phases C, B, A', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, VIEW_HOOKS),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(200);
    expect(served.body).toBe('view');
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.after:200',
      'B.after:200',
      'A.after:200',
    ]);
  });

  it('an unmatched URL becomes 404 at the core and travels out through C, B, A; no view hook runs', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, VIEW_HOOKS),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls),
      ),
      '/missing/',
    );
    expect(served.status).toBe(404);
    expect(calls).toEqual(['A.before', 'B.before', 'C.before', 'C.after:404', 'B.after:404', 'A.after:404']);
  });

  it('processView receives the resolved view and its converted params', async () => {
    const calls: Calls = [];
    const seen: Array<{ view: ViewFunction; params: ViewParams }> = [];
    const view = recordingView(calls);
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, {
            processView: (_request, received, params) => {
              seen.push({ view: received, params });
            },
          }),
        ],
        view,
      ),
      '/posts/42/',
    );
    expect(served.status).toBe(200);
    expect(seen).toEqual([{ view, params: { id: 42 } }]);
    expect(seen[0]!.view).toBe(view);
  });

  it('the first processView to return a response stops the rest and the view is not called', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, {
            ...VIEW_HOOKS,
            processView: () => new HttpResponse('from B.processView', { status: 202 }),
          }),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(202);
    expect(served.body).toBe('from B.processView');
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'A.processView',
      'B.processView',
      'C.after:202',
      'B.after:202',
      'A.after:202',
    ]);
  });

  it('an exception from processView is not given to processException: the core converts it (403)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, {
            ...VIEW_HOOKS,
            processView: () => {
              throw new PermissionDenied('no');
            },
          }),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'A.processView',
      'B.processView',
      'C.after:403',
      'B.after:403',
      'A.after:403',
    ]);
  });

  it('a view exception goes to processException C, B, A; the first response wins and A is skipped', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, {
            ...VIEW_HOOKS,
            processException: (_request, error) =>
              new HttpResponse(`B handled ${(error as Error).message}`, { status: 409 }),
          }),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls, () => {
          throw new TypeError('boom');
        }),
      ),
    );
    expect(served.status).toBe(409);
    expect(served.body).toBe('B handled boom');
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processException:TypeError',
      'B.processException:TypeError',
      'C.after:409',
      'B.after:409',
      'A.after:409',
    ]);
  });

  it('a view exception no processException answers is converted at the core (Http404 -> 404)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [onionMiddleware('A', calls, VIEW_HOOKS), onionMiddleware('B', calls, VIEW_HOOKS)],
        recordingView(calls, () => {
          throw new Http404('no such post');
        }),
      ),
    );
    expect(served.status).toBe(404);
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'A.processView',
      'B.processView',
      'view',
      'B.processException:Http404',
      'A.processException:Http404',
      'B.after:404',
      'A.after:404',
    ]);
  });
});

describe('MIDDLEWARE (onion): short-circuits and exceptions in layers', () => {
  it('when B answers without calling getResponse, C and the core never run and only B and A see the response', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, {
            ...VIEW_HOOKS,
            before: () => new HttpResponse('from B', { status: 201 }),
          }),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(201);
    expect(served.body).toBe('from B');
    expect(calls).toEqual(['A.before', 'B.before', 'B.after:201', 'A.after:201']);
  });

  it('an exception in B request phase becomes a response at B; A sees it; processException is not called', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, {
            ...VIEW_HOOKS,
            before: () => {
              throw new PermissionDenied('B says no');
            },
          }),
          onionMiddleware('C', calls, VIEW_HOOKS),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual(['A.before', 'B.before', 'A.after:403']);
  });

  it('a plain Error in B request phase becomes a 500 that A still sees, logged with the trace', async () => {
    const calls: Calls = [];
    const error = new Error('B crashed');
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, {
            before: () => {
              throw error;
            },
          }),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(500);
    expect(calls).toEqual(['A.before', 'B.before', 'A.after:500']);
    expect(served.logger.lines).toEqual([{ level: 'error', message: 'Internal Server Error: /', error }]);
  });

  it('an exception in C response phase is converted at C (Http404 stays 404) and B and A still run', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls, VIEW_HOOKS),
          onionMiddleware('B', calls, VIEW_HOOKS),
          onionMiddleware('C', calls, {
            ...VIEW_HOOKS,
            after: () => {
              throw new Http404('gone on the way out');
            },
          }),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(404);
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.after:200',
      'B.after:404',
      'A.after:404',
    ]);
  });

  it('an exception in B response phase is converted at B (PermissionDenied -> 403) and A still runs', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          onionMiddleware('A', calls),
          onionMiddleware('B', calls, {
            after: () => {
              throw new PermissionDenied();
            },
          }),
          onionMiddleware('C', calls),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'view',
      'C.after:200',
      'B.after:200',
      'A.after:403',
    ]);
  });

  it('a layer whose call returns nothing becomes a 500 that the outer layers see', async () => {
    const calls: Calls = [];
    const Silent = class Silent {
      constructor(private readonly getResponse: GetResponse) {}
      async call(request: HttpRequest): Promise<HttpResponse> {
        await this.getResponse(request);
        return undefined as unknown as HttpResponse;
      }
    };
    const served = await exchange({
      ...settings([onionMiddleware('A', calls), Silent], recordingView(calls)),
      DEBUG: true,
    });
    expect(served.status).toBe(500);
    expect(decodeHtml(served.body)).toContain("Silent.call didn't return an HttpResponse object");
    expect(calls).toEqual(['A.before', 'view', 'A.after:500']);
  });

  it('a rejected promise from a factory layer is converted like a throw (404) and outer layers see it', async () => {
    const calls: Calls = [];
    const rejecting: MiddlewareFactory = () => (request) => Promise.reject(new Http404(request.path));
    const served = await exchange(settings([onionMiddleware('A', calls), rejecting], recordingView(calls)));
    expect(served.status).toBe(404);
    expect(calls).toEqual(['A.before', 'A.after:404']);
  });

  it('every hook may return a Promise: async layers and view hooks keep the same order', async () => {
    const calls: Calls = [];
    const slow = (name: string): MiddlewareClass =>
      onionMiddleware(name, calls, {
        before: async () => {
          await nextTick();
        },
        after: async (_request, response) => {
          await nextTick();
          return response;
        },
        processView: async () => {
          await nextTick();
        },
        processException: async (_request, error) => {
          await nextTick();
          return name === 'B'
            ? new HttpResponse(`${name}:${(error as Error).message}`, { status: 418 })
            : null;
        },
      });
    const served = await exchange(
      settings(
        [slow('A'), slow('B'), slow('C')],
        recordingView(calls, async () => {
          await nextTick();
          throw new Error('async view failure');
        }),
      ),
    );
    expect(served.status).toBe(418);
    expect(served.body).toBe('B:async view failure');
    expect(calls).toEqual([
      'A.before',
      'B.before',
      'C.before',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processException:Error',
      'B.processException:Error',
      'C.after:418',
      'B.after:418',
      'A.after:418',
    ]);
  });

  it('a processException that returns null declines, like undefined', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [onionMiddleware('A', calls, { processException: () => null })],
        recordingView(calls, () => {
          throw new PermissionDenied();
        }),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual(['A.before', 'view', 'A.processException:PermissionDenied', 'A.after:403']);
  });
});

describe('MIDDLEWARE (onion): MiddlewareMixin', () => {
  it('runs processRequest, then the inner layers, then processResponse on the way out', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [mixinMiddleware('A', calls), mixinMiddleware('B', calls), mixinMiddleware('C', calls)],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(200);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processRequest',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processResponse:200',
      'B.processResponse:200',
      'A.processResponse:200',
    ]);
  });

  it('a mixin that short-circuits in processRequest still runs its own processResponse; inner layers never run', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          mixinMiddleware('A', calls),
          mixinMiddleware('B', calls, {
            processRequest: () => new HttpResponse('B answers', { status: 203 }),
            processResponse: (_request, response) => {
              response.headers.set('x-b', 'processed');
              return response;
            },
          }),
          mixinMiddleware('C', calls),
        ],
        recordingView(calls),
      ),
      '/missing/',
    );
    expect(served.status).toBe(203);
    expect(served.body).toBe('B answers');
    expect(served.headers.get('x-b')).toBe('processed');
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'B.processResponse:203',
      'A.processResponse:203',
    ]);
  });

  it('a mixin processRequest that throws skips its own processResponse; the outer layers see the converted response', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          mixinMiddleware('A', calls),
          mixinMiddleware('B', calls, {
            processRequest: () => {
              throw new Http404('B hides this');
            },
            processResponse: true,
            processException: true,
          }),
          mixinMiddleware('C', calls),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(404);
    expect(calls).toEqual(['A.processRequest', 'B.processRequest', 'A.processResponse:404']);
  });

  it('a mixin processResponse that throws Http404 gives 404 to the outer layers', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          mixinMiddleware('A', calls),
          mixinMiddleware('B', calls, {
            processResponse: () => {
              throw new Http404();
            },
          }),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(404);
    expect(calls).toEqual([
      'A.processRequest',
      'A.processView',
      'view',
      'B.processResponse:200',
      'A.processResponse:404',
    ]);
  });

  it('a mixin processResponse that returns nothing is a 500 naming the class; outer layers see it', async () => {
    const calls: Calls = [];
    const served = await exchange({
      ...settings(
        [mixinMiddleware('A', calls), mixinMiddleware('B', calls, { processResponse: () => undefined })],
        recordingView(calls),
      ),
      DEBUG: true,
    });
    expect(served.status).toBe(500);
    expect(decodeHtml(served.body)).toContain(
      "B.processResponse didn't return an HttpResponse object. It returned undefined instead.",
    );
    expect(calls).toEqual([
      'A.processRequest',
      'A.processView',
      'view',
      'B.processResponse:200',
      'A.processResponse:500',
    ]);
  });

  it('mixin, plain-class and factory layers mix in one stack', async () => {
    const calls: Calls = [];
    const factory: MiddlewareFactory = (getResponse) => async (request) => {
      calls.push('F.before');
      const response = await getResponse(request);
      calls.push(`F.after:${response.statusCode}`);
      return response;
    };
    const { response } = await handleInProcess(
      settings(
        [mixinMiddleware('A', calls), factory, onionMiddleware('C', calls, VIEW_HOOKS)],
        recordingView(calls),
      ),
    );
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual([
      'A.processRequest',
      'F.before',
      'C.before',
      'A.processView',
      'C.processView',
      'view',
      'C.after:200',
      'F.after:200',
      'A.processResponse:200',
    ]);
  });

  it('a mixin subclass keeps the getResponse it was built with', () => {
    class Keeps extends MiddlewareMixin {
      inner(): GetResponse | null {
        return this.getResponse;
      }
    }
    const built: Keeps[] = [];
    const Recording = class Recording extends Keeps {
      constructor(getResponse: GetResponse) {
        super(getResponse);
        built.push(this);
      }
    };
    createApp(settings([Recording], () => new HttpResponse()));
    expect(built).toHaveLength(1);
    expect(typeof built[0]!.inner()).toBe('function');
  });
});
