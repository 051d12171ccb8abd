import {
  type Application,
  HttpRequest,
  HttpResponse,
  MiddlewareMixin,
  TemplateResponse,
  type GetResponse,
  type LegacyMiddlewareClass,
  type MaybePromise,
  type Middleware,
  type MiddlewareClass,
  type ResponseOrNothing,
  type Settings,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { createLoggedApp, MemoryLogger, serve } from './serve';

/**
 * The shared call log of one test. Every recorded hook pushes one entry, so a test asserts the exact
 * sequence: `A.processRequest`, `B.processView`, `C.processResponse:404`, `B.processException:Http404`,
 * `A.before`, `A.after:200`, `view`, `render`...
 */
export type Calls = string[];

/** `true`: record and pass through. A function: record, then let it decide (it may throw). */
export type Hook<Args extends unknown[]> = true | ((...args: Args) => MaybePromise<ResponseOrNothing>);

/** The hooks a recorded middleware defines; a hook left out is not defined at all. */
export interface HookSpec {
  processRequest?: Hook<[HttpRequest]>;
  processView?: Hook<[HttpRequest, ViewFunction, ViewParams]>;
  processTemplateResponse?: Hook<[HttpRequest, HttpResponse]>;
  processResponse?: Hook<[HttpRequest, HttpResponse]>;
  processException?: Hook<[HttpRequest, unknown]>;
}

/** Every hook, recording and passing through. */
export const ALL_HOOKS: HookSpec = {
  processRequest: true,
  processView: true,
  processTemplateResponse: true,
  processResponse: true,
  processException: true,
};

/** How an error shows in the log: its class name, or the thrown value. */
export function errorLabel(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}

/** Gives a dynamically built class the name error messages and `owner` labels use. */
function named<T extends abstract new (...args: never[]) => unknown>(cls: T, name: string): T {
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

function define(target: object, key: keyof HookSpec, run: (...args: never[]) => unknown): void {
  Object.defineProperty(target, key, { value: run, writable: true, configurable: true });
}

/** Puts the recording versions of `spec`'s hooks on `target` (a prototype). */
function installHooks(target: object, name: string, calls: Calls, spec: HookSpec): void {
  const { processRequest, processView, processTemplateResponse, processResponse, processException } = spec;
  if (processRequest !== undefined) {
    define(target, 'processRequest', async (request: HttpRequest) => {
      calls.push(`${name}.processRequest`);
      return processRequest === true ? undefined : processRequest(request);
    });
  }
  if (processView !== undefined) {
    define(target, 'processView', async (request: HttpRequest, view: ViewFunction, params: ViewParams) => {
      calls.push(`${name}.processView`);
      return processView === true ? undefined : processView(request, view, params);
    });
  }
  if (processTemplateResponse !== undefined) {
    define(target, 'processTemplateResponse', async (request: HttpRequest, response: HttpResponse) => {
      calls.push(`${name}.processTemplateResponse`);
      return processTemplateResponse === true ? response : processTemplateResponse(request, response);
    });
  }
  if (processResponse !== undefined) {
    define(target, 'processResponse', async (request: HttpRequest, response: HttpResponse) => {
      calls.push(`${name}.processResponse:${response.statusCode}`);
      return processResponse === true ? response : processResponse(request, response);
    });
  }
  if (processException !== undefined) {
    define(target, 'processException', async (request: HttpRequest, error: unknown) => {
      calls.push(`${name}.processException:${errorLabel(error)}`);
      return processException === true ? undefined : processException(request, error);
    });
  }
}

/**
 * A `MIDDLEWARE_CLASSES` class named `name` that is NOT a `MiddlewareMixin`: legacy mode must work
 * with a plain class.
 */
export function legacyMiddleware(
  name: string,
  calls: Calls,
  spec: HookSpec = ALL_HOOKS,
): LegacyMiddlewareClass {
  class Legacy {}
  installHooks(Legacy.prototype, name, calls, spec);
  return named(Legacy, name);
}

/** A `MiddlewareMixin` subclass named `name`; it works in both lists. */
export function mixinMiddleware(
  name: string,
  calls: Calls,
  spec: HookSpec = ALL_HOOKS,
): typeof MiddlewareMixin {
  class Mixin extends MiddlewareMixin {}
  installHooks(Mixin.prototype, name, calls, spec);
  return named(Mixin, name);
}

/** What a hand-written new-style layer does around `getResponse`. */
export interface OnionSpec {
  /** The request phase. A response returned here short-circuits: `getResponse` is not called. */
  before?: (request: HttpRequest) => MaybePromise<ResponseOrNothing>;
  /** The response phase; its result goes outward. */
  after?: (request: HttpRequest, response: HttpResponse) => MaybePromise<HttpResponse>;
  processView?: HookSpec['processView'];
  processTemplateResponse?: HookSpec['processTemplateResponse'];
  processException?: HookSpec['processException'];
}

/**
 * A new-style class named `name` with its own `call()` (no mixin). It records `name.before` when the
 * request reaches it and `name.after:<status>` when a response comes back through it.
 */
export function onionMiddleware(name: string, calls: Calls, spec: OnionSpec = {}): MiddlewareClass {
  class Onion implements Middleware {
    constructor(private readonly getResponse: GetResponse) {}

    async call(request: HttpRequest): Promise<HttpResponse> {
      calls.push(`${name}.before`);
      const early = spec.before === undefined ? undefined : await spec.before(request);
      const response = early ?? (await this.getResponse(request));
      calls.push(`${name}.after:${response.statusCode}`);
      return spec.after === undefined ? response : spec.after(request, response);
    }
  }
  const { processView, processTemplateResponse, processException } = spec;
  installHooks(Onion.prototype, name, calls, { processView, processTemplateResponse, processException });
  return named(Onion, name);
}

/** A view that records `view` and answers `respond(...)` (by default 200 "view"). */
export function recordingView(
  calls: Calls,
  respond: (request: HttpRequest, params: ViewParams) => MaybePromise<HttpResponse> = () =>
    new HttpResponse('view'),
): ViewFunction {
  return async function recordedView(request, params) {
    calls.push('view');
    return respond(request, params);
  };
}

/** A view that returns nothing, which the handler must refuse (the type says it cannot). */
export function viewReturningNothing(calls: Calls): ViewFunction {
  const view = async function silentView(): Promise<void> {
    calls.push('view');
  };
  return view as unknown as ViewFunction;
}

/**
 * A `TemplateResponse` whose template records `render:<tag>` and renders `rendered by <tag>`. The tag
 * travels in the context, so a test can tell which response object reached `render()`.
 */
export function taggedTemplateResponse(request: HttpRequest, calls: Calls, tag: string): TemplateResponse {
  return new TemplateResponse(
    request,
    {
      render: (context) => {
        calls.push(`render:${String(context.tag)}`);
        return `rendered by ${String(context.tag)}`;
      },
    },
    { tag },
  );
}

/** The tag of a response made by {@link taggedTemplateResponse}, or `plain`. */
export function tagOf(response: HttpResponse): string {
  return response instanceof TemplateResponse ? String(response.context.tag) : 'plain';
}

/** A `TemplateResponse` whose `render()` throws `error`. */
export function failingTemplateResponse(
  request: HttpRequest,
  calls: Calls,
  error: unknown,
): TemplateResponse {
  return new TemplateResponse(request, {
    render: () => {
      calls.push('render');
      throw error;
    },
  });
}

/** Resolves after the current turn of the event loop, so an async hook really is asynchronous. */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What came back over the socket. */
export interface Exchange {
  app: Application;
  status: number;
  body: string;
  headers: Headers;
  logger: MemoryLogger;
}

/**
 * Serves `settings` on 127.0.0.1, sends one request to `urlPath` with `fetch`, closes the server and
 * returns what came back.
 */
export async function exchange(settings: Settings, urlPath = '/', init?: RequestInit): Promise<Exchange> {
  const served = await serve(settings);
  try {
    const response = await fetch(`${served.url}${urlPath}`, init);
    const body = await response.text();
    return {
      app: served.app,
      status: response.status,
      body,
      headers: response.headers,
      logger: served.logger,
    };
  } finally {
    await served.close();
  }
}

/** Runs one GET through the whole stack in process (no socket), with the test `Client`. */
export async function handleInProcess(
  settings: Settings,
  urlPath = '/',
): Promise<{ response: HttpResponse; logger: MemoryLogger }> {
  const { app, logger } = createLoggedApp(settings);
  return { response: await new Client(app).get(urlPath), logger };
}

/** The text of an HTML body with character references decoded (error pages escape `'` and `<`). */
export function decodeHtml(html: string): string {
  return html
    .replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
