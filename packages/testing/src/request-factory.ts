import type { Application, HttpRequest } from '@manouche/core';
import { buildRequest, type RequestData, type RequestOptions } from './build-request';

/**
 * Django's `RequestFactory`: builds an `HttpRequest` synchronously, to call a view or a middleware
 * directly. Given an application, the request is attached to it, so settings-dependent calls
 * (`getHost()`, `TemplateResponse`) behave as they would in a real request.
 */
export class RequestFactory {
  readonly #app: Application | null;

  constructor(app?: Application) {
    this.#app = app ?? null;
  }

  get(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('GET', path, data, options);
  }

  post(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('POST', path, data, options);
  }

  put(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('PUT', path, data, options);
  }

  patch(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('PATCH', path, data, options);
  }

  delete(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('DELETE', path, data, options);
  }

  head(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('HEAD', path, data, options);
  }

  options(path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    return this.request('OPTIONS', path, data, options);
  }

  /** Any method. */
  request(method: string, path: string, data?: RequestData, options?: RequestOptions): HttpRequest {
    const request = buildRequest(method, path, data, options);
    request.app = this.#app;
    return request;
  }
}
