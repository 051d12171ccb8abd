import type { HttpRequest } from '../http/request';
import { HttpResponse, HttpResponseNotAllowed } from '../http/response';
import type { View as ViewFunction, ViewParams } from '../urls/patterns';

/** The HTTP methods a class-based view may answer, as Django's `http_method_names`. */
export const HTTP_METHOD_NAMES = [
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'trace',
] as const;

type Handler = (request: HttpRequest, params: ViewParams) => HttpResponse | Promise<HttpResponse>;

/** A view function made by `asView()`: it remembers its class. */
export type ClassBasedView = ViewFunction & { readonly viewClass: typeof View };

/**
 * Django's `View`: subclass it, define `get`, `post`... and route `MyView.asView()`. A method you did
 * not define answers 405 with `Allow`; `head` falls back to `get`; `options` lists what is allowed.
 * A new instance serves each request, so instance fields are per request.
 */
export class View {
  /** The request being served. */
  request!: HttpRequest;
  /** The URL parameters. */
  params!: ViewParams;

  /**
   * The view function for the URL conf. `initkwargs` are assigned to each instance (Django's
   * `as_view(**initkwargs)`).
   */
  static asView<T extends View>(this: new () => T, initkwargs: Partial<T> = {}): ClassBasedView {
    // The arrow keeps `this`: the subclass asView() was called on.
    const view = async (request: HttpRequest, params: ViewParams): Promise<HttpResponse> => {
      const instance = Object.assign(new this(), initkwargs);
      instance.request = request;
      instance.params = params;
      return instance.dispatch(request, params);
    };
    Object.defineProperty(view, 'name', { value: this.name });
    return Object.assign(view, { viewClass: this as unknown as typeof View });
  }

  /** Calls the method named after the request's method, or `httpMethodNotAllowed`. */
  dispatch(request: HttpRequest, params: ViewParams): HttpResponse | Promise<HttpResponse> {
    const name = request.method.toLowerCase();
    const handler = (HTTP_METHOD_NAMES as readonly string[]).includes(name)
      ? this.#handlerFor(name)
      : undefined;
    if (handler === undefined) return this.httpMethodNotAllowed(request, params);
    return handler.call(this, request, params);
  }

  /** 405 listing the methods this view answers. */
  httpMethodNotAllowed(_request: HttpRequest, _params: ViewParams): HttpResponse {
    return new HttpResponseNotAllowed(this.allowedMethods());
  }

  /** 200 with `Allow` and an empty body (Django's default `options`). */
  options(_request: HttpRequest, _params: ViewParams): HttpResponse {
    return new HttpResponse('', {
      headers: { Allow: this.allowedMethods().join(', '), 'Content-Length': '0' },
    });
  }

  /** Upper-case names of the methods this view answers. */
  allowedMethods(): string[] {
    return HTTP_METHOD_NAMES.filter((name) => this.#handlerFor(name) !== undefined).map((name) =>
      name.toUpperCase(),
    );
  }

  #handlerFor(name: string): Handler | undefined {
    const handler = (this as unknown as Record<string, unknown>)[name];
    if (typeof handler === 'function') return handler as Handler;
    if (name === 'head') return this.#handlerFor('get');
    return undefined;
  }
}
