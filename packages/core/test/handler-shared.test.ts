import {
  BadRequest,
  DisallowedHost,
  Http404,
  HttpResponse,
  MissingResponse,
  PermissionDenied,
  SuspiciousOperation,
  path,
  type MiddlewareMixin,
  type Settings,
  type ViewFunction,
} from '@manouche/core';
import {
  decodeHtml,
  exchange,
  failingTemplateResponse,
  handleInProcess,
  mixinMiddleware,
  nextTick,
  recordingView,
  taggedTemplateResponse,
  tagOf,
  viewReturningNothing,
  type Calls,
  type HookSpec,
} from './support/middleware-recorder';

type Mode = 'MIDDLEWARE' | 'MIDDLEWARE_CLASSES';
const MODES: Mode[] = ['MIDDLEWARE', 'MIDDLEWARE_CLASSES'];

/** The view-level hooks, recording and passing through: they behave the same in both modes. */
const VIEW_HOOKS: HookSpec = { processView: true, processTemplateResponse: true, processException: true };

/** `classes` (MiddlewareMixin subclasses, valid in both lists) as the stack of `mode`. */
function stack(
  mode: Mode,
  classes: Array<typeof MiddlewareMixin>,
  view: ViewFunction,
  extra: Partial<Settings> = {},
): Settings {
  const urls = [path('', view)];
  return mode === 'MIDDLEWARE'
    ? { MIDDLEWARE: classes, ROOT_URLCONF: urls, ...extra }
    : { MIDDLEWARE_CLASSES: classes, ROOT_URLCONF: urls, ...extra };
}

/** A, B, C with the view-level hooks; `overrides` replace hooks by middleware name. */
function abc(
  calls: Calls,
  overrides: Partial<Record<'A' | 'B' | 'C', HookSpec>> = {},
): Array<typeof MiddlewareMixin> {
  return (['A', 'B', 'C'] as const).map((name) =>
    mixinMiddleware(name, calls, { ...VIEW_HOOKS, ...overrides[name] }),
  );
}

/** This file's name: it appears in the stack trace of an error thrown by a view below. */
const TRACE_MARKER = 'handler-shared.test.ts';

describe.each(MODES)('%s: exception to response conversion', (mode) => {
  const cases: Array<[string, () => unknown, number]> = [
    ['Http404', () => new Http404('detail-http404'), 404],
    ['PermissionDenied', () => new PermissionDenied('detail-permission'), 403],
    ['SuspiciousOperation', () => new SuspiciousOperation('detail-suspicious'), 400],
    ['DisallowedHost (a SuspiciousOperation)', () => new DisallowedHost('detail-disallowed'), 400],
    ['BadRequest', () => new BadRequest('detail-badrequest'), 400],
    ['TypeError', () => new TypeError('detail-typeerror'), 500],
    ['a thrown string', () => 'detail-string', 500],
  ];

  it.each(cases)('a view that throws %s answers its status', async (_name, makeError, status) => {
    const served = await exchange(
      stack(mode, [], () => {
        throw makeError();
      }),
    );
    expect(served.status).toBe(status);
  });

  it.each(cases)(
    '%s: with DEBUG false the body carries neither the message nor the trace',
    async (_name, makeError) => {
      const error = makeError();
      const message = error instanceof Error ? error.message : String(error);
      const served = await exchange(
        stack(mode, [], () => {
          throw error;
        }),
      );
      expect(served.body).not.toContain(message);
      expect(served.body).not.toContain(TRACE_MARKER);
    },
  );

  it.each(cases.filter(([, makeError]) => makeError() instanceof Error))(
    '%s: with DEBUG true the body carries the message and the trace',
    async (_name, makeError) => {
      const error = makeError() as Error;
      const served = await exchange(
        stack(
          mode,
          [],
          () => {
            throw error;
          },
          { DEBUG: true },
        ),
      );
      const body = decodeHtml(served.body);
      expect(body).toContain(error.message);
      expect(body).toContain(TRACE_MARKER);
    },
  );

  it('a thrown non-Error with DEBUG true shows its value in the body', async () => {
    const served = await exchange(
      stack(
        mode,
        [],
        () => {
          throw 'detail-string';
        },
        { DEBUG: true },
      ),
    );
    expect(served.status).toBe(500);
    expect(served.body).toContain('detail-string');
  });

  it('a malformed multipart body read by the view answers 400', async () => {
    const served = await exchange(
      stack(mode, [], (request) => new HttpResponse(String(request.POST.get('field')))),
      '/',
      {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
        body: '--XyZ\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue-without-a-closing-boundary',
      },
    );
    expect(served.status).toBe(400);
    expect(served.logger.messages()).toEqual([
      expect.stringMatching(/^Bad Request: \/ \(Malformed multipart body/),
    ]);
  });

  it('a 500 is logged as an error with the thrown error (and so its trace)', async () => {
    const error = new Error('logged with its trace');
    const served = await exchange(
      stack(mode, [], () => {
        throw error;
      }),
    );
    expect(served.status).toBe(500);
    expect(served.logger.lines).toEqual([{ level: 'error', message: 'Internal Server Error: /', error }]);
    expect((served.logger.lines[0]!.error as Error).stack).toContain(TRACE_MARKER);
  });

  it('a 4xx is logged as a warning, without an error-level line', async () => {
    const served = await exchange(
      stack(mode, [], () => {
        throw new PermissionDenied('nope');
      }),
    );
    expect(served.status).toBe(403);
    expect(served.logger.lines.map((line) => line.level)).toEqual(['warn']);
  });

  it('an async view whose promise rejects is converted like a throw', async () => {
    const { response } = await handleInProcess(stack(mode, [], () => Promise.reject(new PermissionDenied())));
    expect(response.statusCode).toBe(403);
  });
});

describe.each(MODES)('%s: a view that returns nothing', (mode) => {
  const message = "The view silentView didn't return an HttpResponse object. It returned undefined instead.";

  it('answers 500 without offering the error to processException, and logs it', async () => {
    const calls: Calls = [];
    const served = await exchange(stack(mode, abc(calls), viewReturningNothing(calls)));
    expect(served.status).toBe(500);
    expect(calls).toEqual(['A.processView', 'B.processView', 'C.processView', 'view']);
    expect(served.logger.lines).toHaveLength(1);
    expect(served.logger.lines[0]!.level).toBe('error');
    expect(served.logger.lines[0]!.error).toBeInstanceOf(MissingResponse);
    expect((served.logger.lines[0]!.error as Error).message).toBe(message);
  });

  it('with DEBUG true the 500 body carries the message naming the view', async () => {
    const calls: Calls = [];
    const served = await exchange(stack(mode, [], viewReturningNothing(calls), { DEBUG: true }));
    expect(served.status).toBe(500);
    expect(decodeHtml(served.body)).toContain(message);
  });

  it('with DEBUG false the 500 body carries no message and no trace', async () => {
    const calls: Calls = [];
    const served = await exchange(stack(mode, [], viewReturningNothing(calls), { DEBUG: false }));
    expect(served.status).toBe(500);
    expect(served.body).not.toContain('silentView');
    expect(served.body).not.toContain("didn't return");
    expect(served.body).not.toContain('didn&#39;t return');
    expect(served.body).not.toContain(TRACE_MARKER);
    expect(served.body).not.toContain('MissingResponse');
  });
});

describe.each(MODES)('%s: a processException hook', (mode) => {
  it('that throws ends the exception hooks; its error is converted (the remaining hooks are skipped)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, {
          B: {
            processException: () => {
              throw new PermissionDenied('from B.processException');
            },
          },
        }),
        recordingView(calls, () => {
          throw new Error('view');
        }),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual([
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processException:Error',
      'B.processException:Error',
    ]);
  });

  it('receives the request and the very error the view threw', async () => {
    const calls: Calls = [];
    const thrown = new Http404('this one');
    const seen: unknown[] = [];
    const served = await exchange(
      stack(
        mode,
        [
          mixinMiddleware('A', calls, {
            processException: (request, error) => {
              seen.push(request.path, error);
              return new HttpResponse('handled');
            },
          }),
        ],
        recordingView(calls, () => {
          throw thrown;
        }),
      ),
    );
    expect(served.status).toBe(200);
    expect(seen).toEqual(['/', thrown]);
    expect(seen[1]).toBe(thrown);
  });
});

describe.each(MODES)('%s: template responses', (mode) => {
  it('processTemplateResponse runs C, B, A, each given the previous result, then the last result is rendered', async () => {
    const calls: Calls = [];
    const replacing = (name: 'A' | 'B' | 'C'): HookSpec => ({
      processTemplateResponse: (request, response) => {
        calls.push(`${name} got ${tagOf(response)}`);
        return taggedTemplateResponse(request, calls, name);
      },
    });
    const served = await exchange(
      stack(
        mode,
        abc(calls, { A: replacing('A'), B: replacing('B'), C: replacing('C') }),
        recordingView(calls, (request) => taggedTemplateResponse(request, calls, 'view')),
      ),
    );
    expect(served.status).toBe(200);
    expect(served.body).toBe('rendered by A');
    expect(calls).toEqual([
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processTemplateResponse',
      'C got view',
      'B.processTemplateResponse',
      'B got C',
      'A.processTemplateResponse',
      'A got B',
      'render:A',
    ]);
  });

  it('hooks may change the context of the same response until it is rendered', async () => {
    const calls: Calls = [];
    const appending = (name: string): HookSpec => ({
      processTemplateResponse: (_request, response) => {
        const context = (response as unknown as { context: { tag: string } }).context;
        context.tag = `${context.tag}+${name}`;
        return response;
      },
    });
    const served = await exchange(
      stack(
        mode,
        abc(calls, { A: appending('A'), B: appending('B'), C: appending('C') }),
        recordingView(calls, (request) => taggedTemplateResponse(request, calls, 'view')),
      ),
    );
    expect(served.body).toBe('rendered by view+C+B+A');
  });

  it('a processTemplateResponse that returns nothing is a 500 naming the class; the rest and render() are skipped', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, { B: { processTemplateResponse: () => undefined } }),
        recordingView(calls, (request) => taggedTemplateResponse(request, calls, 'view')),
        { DEBUG: true },
      ),
    );
    expect(served.status).toBe(500);
    expect(decodeHtml(served.body)).toContain(
      "B.processTemplateResponse didn't return an HttpResponse object. It returned undefined instead.",
    );
    expect(calls).toEqual([
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processTemplateResponse',
      'B.processTemplateResponse',
    ]);
  });

  it('a processTemplateResponse returning nothing with DEBUG false gives a 500 body without the message', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, { B: { processTemplateResponse: () => null } }),
        recordingView(calls, (request) => taggedTemplateResponse(request, calls, 'view')),
      ),
    );
    expect(served.status).toBe(500);
    expect(served.body).not.toContain('processTemplateResponse');
    expect(served.logger.lines[0]!.error).toBeInstanceOf(MissingResponse);
  });

  it('an exception from render() goes to processException C, B, A; the first response wins', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, { B: { processException: () => new HttpResponse('B caught render', { status: 422 }) } }),
        recordingView(calls, (request) =>
          failingTemplateResponse(request, calls, new SyntaxError('bad template')),
        ),
      ),
    );
    expect(served.status).toBe(422);
    expect(served.body).toBe('B caught render');
    expect(calls).toEqual([
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processTemplateResponse',
      'B.processTemplateResponse',
      'A.processTemplateResponse',
      'render',
      'C.processException:SyntaxError',
      'B.processException:SyntaxError',
    ]);
  });

  it('an exception from render() that no processException answers is converted (Http404 -> 404)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls),
        recordingView(calls, (request) =>
          failingTemplateResponse(request, calls, new Http404('no template data')),
        ),
      ),
    );
    expect(served.status).toBe(404);
    expect(calls.slice(-4)).toEqual([
      'render',
      'C.processException:Http404',
      'B.processException:Http404',
      'A.processException:Http404',
    ]);
  });

  it('an exception thrown by processTemplateResponse is not given to processException; it is converted (403)', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, {
          C: {
            processTemplateResponse: () => {
              throw new PermissionDenied();
            },
          },
        }),
        recordingView(calls, (request) => taggedTemplateResponse(request, calls, 'view')),
      ),
    );
    expect(served.status).toBe(403);
    expect(calls).toEqual([
      'A.processView',
      'B.processView',
      'C.processView',
      'view',
      'C.processTemplateResponse',
    ]);
  });

  it('a TemplateResponse returned by processView goes through the template hooks and render(); the view is not called', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, {
          A: { processView: (request) => taggedTemplateResponse(request, calls, 'A.processView') },
        }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(200);
    expect(served.body).toBe('rendered by A.processView');
    expect(calls).toEqual([
      'A.processView',
      'C.processTemplateResponse',
      'B.processTemplateResponse',
      'A.processTemplateResponse',
      'render:A.processView',
    ]);
  });

  it('a TemplateResponse returned by processException goes through the template hooks and render()', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, {
          C: { processException: (request) => taggedTemplateResponse(request, calls, 'C.error') },
        }),
        recordingView(calls, () => {
          throw new Error('view failed');
        }),
      ),
    );
    expect(served.status).toBe(200);
    expect(served.body).toBe('rendered by C.error');
    expect(calls.slice(-5)).toEqual([
      'C.processException:Error',
      'C.processTemplateResponse',
      'B.processTemplateResponse',
      'A.processTemplateResponse',
      'render:C.error',
    ]);
  });

  it('a plain HttpResponse does not go through processTemplateResponse', async () => {
    const calls: Calls = [];
    const served = await exchange(stack(mode, abc(calls), recordingView(calls)));
    expect(served.status).toBe(200);
    expect(calls).toEqual(['A.processView', 'B.processView', 'C.processView', 'view']);
  });

  it('template hooks and the template may be async', async () => {
    const calls: Calls = [];
    const slow = (name: string): HookSpec => ({
      processTemplateResponse: async (_request, response) => {
        await nextTick();
        const context = (response as unknown as { context: { tag: string } }).context;
        context.tag = `${context.tag}+${name}`;
        return response;
      },
    });
    const served = await exchange(
      stack(
        mode,
        abc(calls, { A: slow('A'), B: slow('B'), C: slow('C') }),
        recordingView(calls, (request) => taggedTemplateResponse(request, calls, 'view')),
      ),
    );
    expect(served.status).toBe(200);
    expect(served.body).toBe('rendered by view+C+B+A');
  });
});

describe.each(MODES)('%s: processView', (mode) => {
  it('a processView returning null declines, like undefined', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(mode, abc(calls, { A: { processView: () => null } }), recordingView(calls)),
    );
    expect(served.status).toBe(200);
    expect(calls).toEqual(['A.processView', 'B.processView', 'C.processView', 'view']);
  });

  it('a processView that answers with a 404 response (not an exception) is passed on as is', async () => {
    const calls: Calls = [];
    const served = await exchange(
      stack(
        mode,
        abc(calls, { B: { processView: () => new HttpResponse('gone', { status: 410 }) } }),
        recordingView(calls),
      ),
    );
    expect(served.status).toBe(410);
    expect(served.body).toBe('gone');
    expect(calls).toEqual(['A.processView', 'B.processView']);
  });
});
