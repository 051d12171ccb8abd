import {
  BadRequest,
  createApp,
  Http404,
  HttpRequest,
  HttpResponse,
  MiddlewareNotUsed,
  PermissionDenied,
  path,
  type LegacyMiddlewareClass,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import {
  ALL_HOOKS,
  decodeHtml,
  exchange,
  handleInProcess,
  legacyMiddleware,
  mixinMiddleware,
  nextTick,
  recordingView,
  type Calls,
  type HookSpec,
  viewReturningNothing,
} from './support/middleware-recorder';

function settings(classes: LegacyMiddlewareClass[], view: ViewFunction) {
  return { MIDDLEWARE_CLASSES: classes, ROOT_URLCONF: [path('', view), path('posts/<int:id>/', view)] };
}

/** A, B, C with every hook recording, B's hooks overridden by `b`. */
function abc(calls: Calls, b: HookSpec = {}): LegacyMiddlewareClass[] {
  return [
    legacyMiddleware('A', calls),
    legacyMiddleware('B', calls, { ...ALL_HOOKS, ...b }),
    legacyMiddleware('C', calls),
  ];
}

describe('MIDDLEWARE_CLASSES (legacy): loading, once, at createApp', () => {
  it('instantiates each class once, in list order A, B, C, with no arguments', async () => {
    const built: string[] = [];
    const recorded = (name: string): LegacyMiddlewareClass =>
      class {
        constructor(...args: unknown[]) {
          built.push(`${name}(${args.length})`);
        }
      };
    const app = createApp({
      MIDDLEWARE_CLASSES: [recorded('A'), recorded('B'), recorded('C')],
      ROOT_URLCONF: [path('', () => new HttpResponse('ok'))],
    });
    expect(app.middlewareMode).toBe('MIDDLEWARE_CLASSES');
    expect(built).toEqual(['A(0)', 'B(0)', 'C(0)']);
    const client = new Client(app);
    expect((await client.get('/')).statusCode).toBe(200);
    expect((await client.get('/')).statusCode).toBe(200);
    expect(built).toHaveLength(3);
  });

  it.each([
    ['unset', {}],
    ['null', { MIDDLEWARE: null }],
  ])('MIDDLEWARE %s selects MIDDLEWARE_CLASSES', async (_name, extra) => {
    const calls: Calls = [];
    const served = await exchange({
      ...settings([legacyMiddleware('A', calls, { processRequest: true })], recordingView(calls)),
      ...extra,
    });
    expect(served.app.middlewareMode).toBe('MIDDLEWARE_CLASSES');
    expect(calls).toEqual(['A.processRequest', 'view']);
  });

  it('a class whose constructor throws MiddlewareNotUsed is dropped: none of its hooks run', async () => {
    const calls: Calls = [];
    const Unused = class B {
      constructor() {
        calls.push('B.constructor');
        throw new MiddlewareNotUsed();
      }
      processRequest(): void {
        calls.push('B.processRequest');
      }
      processResponse(_request: HttpRequest, response: HttpResponse): HttpResponse {
        calls.push('B.processResponse');
        return response;
      }
    };
    const served = await exchange(
      settings([legacyMiddleware('A', calls), Unused, legacyMiddleware('C', calls)], recordingView(calls)),
    );
    expect(served.status).toBe(200);
    expect(calls).toEqual([
      'B.constructor',
      'A.processRequest',
      'C.processRequest',
      'A.processView',
      'C.processView',
      'view',
      'C.processResponse:200',
      'A.processResponse:200',
    ]);
  });

  it('a plain class with only processRequest/processResponse works as is (no MiddlewareMixin, no call)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [legacyMiddleware('Plain', calls, { processRequest: true, processResponse: true })],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(200);
    expect(calls).toEqual(['Plain.processRequest', 'view', 'Plain.processResponse:200']);
  });

  it('a MiddlewareMixin subclass works through its hooks', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings([mixinMiddleware('A', calls), mixinMiddleware('B', calls)], recordingView(calls)),
    );
    expect(served.status).toBe(200);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'A.processView',
      'B.processView',
      'view',
      'B.processResponse:200',
      'A.processResponse:200',
    ]);
  });
});

describe('MIDDLEWARE_CLASSES (legacy): per request', () => {
  it('runs processRequest A, B, C, processView A, B, C, the view, then processResponse C, B, A', async () => {
    const calls: Calls = [];
    const served = await exchange(settings(abc(calls), recordingView(calls)));
    expect(served.status).toBe(200);
    expect(served.body).toBe('view');
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

  it('the first processRequest to return a response stops the rest and skips URL resolution, processView and the view', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls, { processRequest: () => new HttpResponse('B answers', { status: 201 }) }),
        recordingView(calls),
      ),
      '/no/such/url/',
    );
    expect(served.status).toBe(201);
    expect(served.body).toBe('B answers');
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processResponse:201',
      'B.processResponse:201',
      'A.processResponse:201',
    ]);
  });

  it('when A processRequest short-circuits, every processResponse still runs, C first (it never saw the request)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          legacyMiddleware('A', calls, {
            ...ALL_HOOKS,
            processRequest: () => new HttpResponse('A', { status: 202 }),
          }),
          legacyMiddleware('B', calls),
          legacyMiddleware('C', calls),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(202);
    expect(calls).toEqual([
      'A.processRequest',
      'C.processResponse:202',
      'B.processResponse:202',
      'A.processResponse:202',
    ]);
  });

  it('a processRequest that returns null declines, like undefined', async () => {
    const calls: Calls = [];
    const served = await exchange(settings(abc(calls, { processRequest: () => null }), recordingView(calls)));
    expect(served.status).toBe(200);
    expect(calls.slice(0, 3)).toEqual(['A.processRequest', 'B.processRequest', 'C.processRequest']);
  });

  it('an unmatched URL gives 404; processException is not called and every processResponse sees the 404', async () => {
    const calls: Calls = [];
    const served = await exchange(settings(abc(calls), recordingView(calls)), '/missing/');
    expect(served.status).toBe(404);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processRequest',
      'C.processResponse:404',
      'B.processResponse:404',
      'A.processResponse:404',
    ]);
  });

  it('processView receives the resolved view and its converted params', async () => {
    const calls: Calls = [];
    const seen: Array<{ view: ViewFunction; params: ViewParams }> = [];
    const view = recordingView(calls);
    const served = await exchange(
      settings(
        [
          legacyMiddleware('A', calls, {
            processView: (_request, received, params) => {
              seen.push({ view: received, params });
            },
          }),
        ],
        view,
      ),
      '/posts/7/',
    );
    expect(served.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.view).toBe(view);
    expect(seen[0]!.params).toEqual({ id: 7 });
  });

  it('the first processView to return a response stops the rest and the view is not called', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls, { processView: () => new HttpResponse('B view hook', { status: 203 }) }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(203);
    expect(served.body).toBe('B view hook');
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processRequest',
      'A.processView',
      'B.processView',
      'C.processResponse:203',
      'B.processResponse:203',
      'A.processResponse:203',
    ]);
  });

  it('an exception from processView is not given to processException; it is converted (403) and every processResponse runs', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls, {
          processView: () => {
            throw new PermissionDenied();
          },
        }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processRequest',
      'A.processView',
      'B.processView',
      'C.processResponse:403',
      'B.processResponse:403',
      'A.processResponse:403',
    ]);
  });

  it('a view exception goes to processException C, B, A; the first response wins, then every processResponse runs', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls, { processException: () => new HttpResponse('B handled it', { status: 409 }) }),
        recordingView(calls, () => {
          throw new RangeError('view failed');
        }),
      ),
    );
    expect(served.status).toBe(409);
    expect(served.body).toBe('B handled it');
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processRequest',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processException:RangeError',
      'B.processException:RangeError',
      'C.processResponse:409',
      'B.processResponse:409',
      'A.processResponse:409',
    ]);
  });

  it('a view exception no processException answers is converted before processResponse runs (Http404 -> 404)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls),
        recordingView(calls, () => {
          throw new Http404();
        }),
      ),
    );
    expect(served.status).toBe(404);
    expect(calls.slice(-6)).toEqual([
      'C.processException:Http404',
      'B.processException:Http404',
      'A.processException:Http404',
      'C.processResponse:404',
      'B.processResponse:404',
      'A.processResponse:404',
    ]);
  });

  it('a view that returns nothing gives a 500 that every processResponse sees; processException is not called', async () => {
    const calls: Calls = [];
    const served = await exchange(settings(abc(calls), viewReturningNothing(calls)));
    expect(served.status).toBe(500);
    expect(calls.slice(-4)).toEqual([
      'view',
      'C.processResponse:500',
      'B.processResponse:500',
      'A.processResponse:500',
    ]);
  });

  it('every hook may return a Promise: async hooks keep the same order', async () => {
    const calls: Calls = [];
    const slow = (name: string): LegacyMiddlewareClass =>
      legacyMiddleware(name, calls, {
        processRequest: async () => {
          await nextTick();
        },
        processView: async () => {
          await nextTick();
        },
        processException: async () => {
          await nextTick();
          return name === 'B' ? new HttpResponse('async B', { status: 418 }) : undefined;
        },
        processResponse: async (_request, response) => {
          await nextTick();
          return response;
        },
      });
    const served = await exchange(
      settings(
        [slow('A'), slow('B'), slow('C')],
        recordingView(calls, async () => {
          await nextTick();
          throw new Error('later');
        }),
      ),
    );
    expect(served.status).toBe(418);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processRequest',
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processException:Error',
      'B.processException:Error',
      'C.processResponse:418',
      'B.processResponse:418',
      'A.processResponse:418',
    ]);
  });
});

describe('MIDDLEWARE_CLASSES (legacy): processException sees processRequest exceptions (the documented behaviour)', () => {
  it('an exception thrown by a processRequest is offered to processException C, B, A; the first response wins', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          legacyMiddleware('A', calls),
          legacyMiddleware('B', calls, {
            ...ALL_HOOKS,
            processRequest: () => {
              throw new PermissionDenied('B refuses');
            },
            processException: (_request, error) =>
              new HttpResponse(`B: ${(error as Error).message}`, { status: 451 }),
          }),
          legacyMiddleware('C', calls),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(451);
    expect(served.body).toBe('B: B refuses');
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processException:PermissionDenied',
      'B.processException:PermissionDenied',
      'C.processResponse:451',
      'B.processResponse:451',
      'A.processResponse:451',
    ]);
  });

  it('a processRequest exception no processException answers is converted (403), then every processResponse runs on it', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls, {
          processRequest: () => {
            throw new PermissionDenied();
          },
        }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processException:PermissionDenied',
      'B.processException:PermissionDenied',
      'A.processException:PermissionDenied',
      'C.processResponse:403',
      'B.processResponse:403',
      'A.processResponse:403',
    ]);
  });

  it('a rejected processRequest promise with a plain Error is offered to processException, then becomes a 500', async () => {
    const calls: Calls = [];
    const error = new Error('async processRequest failure');
    const served = await exchange(
      settings(abc(calls, { processRequest: () => Promise.reject(error) }), recordingView(calls)),
    );
    expect(served.status).toBe(500);
    expect(calls).toEqual([
      'A.processRequest',
      'B.processRequest',
      'C.processException:Error',
      'B.processException:Error',
      'A.processException:Error',
      'C.processResponse:500',
      'B.processResponse:500',
      'A.processResponse:500',
    ]);
    expect(served.logger.lines).toEqual([{ level: 'error', message: 'Internal Server Error: /', error }]);
  });

  it('a processRequest exception under a URL that does not exist still gets the processRequest status, not 404', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        abc(calls, {
          processRequest: () => {
            throw new BadRequest('bad');
          },
        }),
        recordingView(calls),
      ),
      '/missing/',
    );
    expect(served.status).toBe(400);
    expect(calls).not.toContain('view');
  });
});

describe('MIDDLEWARE_CLASSES (legacy): a failing processResponse', () => {
  it('a processResponse that returns nothing yields 500 naming the class and skips the earlier ones', async () => {
    const calls: Calls = [];
    const served = await exchange({
      ...settings(abc(calls, { processResponse: () => undefined }), recordingView(calls)),
      DEBUG: true,
    });
    expect(served.status).toBe(500);
    expect(decodeHtml(served.body)).toContain(
      "B.processResponse didn't return an HttpResponse object. It returned undefined instead.",
    );
    expect(calls.slice(-3)).toEqual(['view', 'C.processResponse:200', 'B.processResponse:200']);
  });

  it('a processResponse that throws yields 500 and skips the earlier ones', async () => {
    const calls: Calls = [];
    const error = new Error('processResponse broke');
    const served = await exchange(
      settings(
        abc(calls, {
          processResponse: () => {
            throw error;
          },
        }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(500);
    expect(calls.slice(-3)).toEqual(['view', 'C.processResponse:200', 'B.processResponse:200']);
    expect(served.logger.lines).toEqual([{ level: 'error', message: 'Internal Server Error: /', error }]);
  });

  it.each([
    ['Http404', () => new Http404('not found on the way out')],
    ['PermissionDenied', () => new PermissionDenied('forbidden on the way out')],
    ['BadRequest', () => new BadRequest('bad on the way out')],
  ])('a processResponse that throws %s still yields 500, not its own status', async (_name, makeError) => {
    const calls: Calls = [];
    const error = makeError();
    const served = await exchange(
      settings(
        abc(calls, {
          processResponse: () => {
            throw error;
          },
        }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(500);
    expect(calls).not.toContain('A.processResponse:200');
    expect(calls).not.toContain('A.processResponse:500');
    expect(served.logger.lines).toEqual([{ level: 'error', message: 'Internal Server Error: /', error }]);
  });

  it('a processResponse rejection is handled like a throw (500, earlier ones skipped)', async () => {
    const calls: Calls = [];
    const { response } = await handleInProcess(
      settings(abc(calls, { processResponse: () => Promise.reject(new Http404()) }), recordingView(calls)),
    );
    expect(response.statusCode).toBe(500);
    expect(calls.slice(-2)).toEqual(['C.processResponse:200', 'B.processResponse:200']);
  });

  it('the first processResponse (C) failing skips B and A as well', async () => {
    const calls: Calls = [];
    const served = await exchange(
      settings(
        [
          legacyMiddleware('A', calls),
          legacyMiddleware('B', calls),
          legacyMiddleware('C', calls, { ...ALL_HOOKS, processResponse: () => null }),
        ],
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(500);
    expect(calls.slice(-2)).toEqual(['view', 'C.processResponse:200']);
  });
});
