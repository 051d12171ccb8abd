import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { View, ViewParams } from '../urls/patterns';
import type { MaybePromise } from './sync';

export type { MaybePromise } from './sync';

/** What a hook that may decline returns: a response, or `undefined`/`null` for "go on". */
export type ResponseOrNothing = HttpResponse | null | undefined | void;

/** The next layer inward. It always resolves to a response: exceptions were already converted. */
export type GetResponse = (request: HttpRequest) => Promise<HttpResponse>;

/** The view-level hooks a middleware of either style may define. */
export interface ViewHooks {
  processView?(request: HttpRequest, view: View, params: ViewParams): MaybePromise<ResponseOrNothing>;
  processException?(request: HttpRequest, error: unknown): MaybePromise<ResponseOrNothing>;
  processTemplateResponse?(request: HttpRequest, response: HttpResponse): MaybePromise<ResponseOrNothing>;
}

/** A new-style (`MIDDLEWARE`) middleware instance. */
export interface Middleware extends ViewHooks {
  call(request: HttpRequest): MaybePromise<HttpResponse>;
}

/** A new-style middleware class: `new M(getResponse)`. */
export type MiddlewareClass = new (getResponse: GetResponse) => Middleware;

/** A new-style middleware factory: `M(getResponse)` returns the layer. */
export type MiddlewareFactory = (
  getResponse: GetResponse,
) => (request: HttpRequest) => MaybePromise<HttpResponse>;

/** An entry of `MIDDLEWARE`. */
export type MiddlewareEntry = MiddlewareClass | MiddlewareFactory;

/** A legacy (`MIDDLEWARE_CLASSES`) middleware instance: every hook optional. */
export interface LegacyMiddleware extends ViewHooks {
  processRequest?(request: HttpRequest): MaybePromise<ResponseOrNothing>;
  processResponse?(request: HttpRequest, response: HttpResponse): MaybePromise<ResponseOrNothing>;
}

/** An entry of `MIDDLEWARE_CLASSES`: `new M()`. */
export type LegacyMiddlewareClass = new () => LegacyMiddleware;

declare module '../settings' {
  interface Settings {
    /** The new-style (onion) stack; used whenever it is not `undefined`/`null`. */
    MIDDLEWARE?: MiddlewareEntry[] | null;
    /** The legacy stack, used only when `MIDDLEWARE` is `undefined`/`null`. */
    MIDDLEWARE_CLASSES?: LegacyMiddlewareClass[];
  }
}
