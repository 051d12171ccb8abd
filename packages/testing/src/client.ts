import type { Application, HttpResponse, TemplateContext, Template } from '@manouche/core';
import { buildRequest, type RequestData, type RequestOptions, TEST_HOST } from './build-request';
import { CookieJar } from './cookie-jar';

/** Options of the client's request methods. */
export interface ClientRequestOptions extends RequestOptions {
  /** Follow redirects, recording each hop in `redirectChain`. */
  follow?: boolean;
}

/** What the test client resolves to: the application's response, plus what a test wants to see. */
export type TestResponse = HttpResponse & {
  /** Every redirect followed, as `[url, status]` (empty without `follow`). */
  redirectChain: Array<[string, number]>;
  /** For a `TemplateResponse`: the template used (name or object), else `undefined`. */
  template?: string | Template;
  /** For a `TemplateResponse`: its context, else `undefined`. */
  context?: TemplateContext;
};

const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Django's test client: requests in process (no socket) through the whole middleware stack. Cookies
 * persist between calls like a browser's.
 *
 * ```ts
 * const client = new Client(app);
 * const response = await client.post('/login/', { username: 'ada', password: 'x' }, { follow: true });
 * expect(response.redirectChain).toEqual([['/', 302]]);
 * ```
 */
export class Client {
  /** The cookies the client sends; responses update them. */
  readonly cookies = new CookieJar();
  readonly #app: Application;
  readonly #defaultHeaders: Record<string, string>;

  constructor(app: Application, defaultHeaders: Record<string, string> = {}) {
    this.#app = app;
    this.#defaultHeaders = defaultHeaders;
  }

  get(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('GET', path, data, options);
  }

  post(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('POST', path, data, options);
  }

  put(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('PUT', path, data, options);
  }

  patch(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('PATCH', path, data, options);
  }

  delete(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('DELETE', path, data, options);
  }

  head(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('HEAD', path, data, options);
  }

  options(path: string, data?: RequestData, options?: ClientRequestOptions): Promise<TestResponse> {
    return this.request('OPTIONS', path, data, options);
  }

  /** Any method. */
  async request(
    method: string,
    path: string,
    data?: RequestData,
    options: ClientRequestOptions = {},
  ): Promise<TestResponse> {
    let response = await this.#send(method, path, data, options);
    const chain: Array<[string, number]> = [];
    let url = path;
    while (options.follow && REDIRECT_STATUSES.has(response.statusCode)) {
      if (chain.length >= MAX_REDIRECTS)
        throw new Error(`Redirect loop: more than ${MAX_REDIRECTS} redirects from ${path}`);
      const location = response.headers.get('location');
      if (location === null) break;
      const next = new URL(location, `http://${TEST_HOST}${url}`);
      if (next.hostname !== TEST_HOST && next.hostname !== 'testserver') {
        throw new Error(`Can't follow a redirect to another host in process: ${location}`);
      }
      url = next.pathname + next.search;
      chain.push([url, response.statusCode]);
      // 307/308 repeat the method and body; the others become a GET, as browsers do.
      const keep = response.statusCode === 307 || response.statusCode === 308;
      response = await this.#send(keep ? method : 'GET', url, keep ? data : undefined, {
        ...options,
        secure: next.protocol === 'https:',
      });
    }
    response.redirectChain = chain;
    return response;
  }

  async #send(
    method: string,
    path: string,
    data: RequestData | undefined,
    options: RequestOptions,
  ): Promise<TestResponse> {
    const headers: Record<string, string> = { ...this.#defaultHeaders, ...options.headers };
    const cookie = this.cookies.header();
    if (cookie !== null && !Object.keys(headers).some((name) => name.toLowerCase() === 'cookie'))
      headers.cookie = cookie;
    const request = buildRequest(method, path, data, { ...options, headers });
    const response = (await this.#app.handle(request)) as TestResponse;
    this.cookies.store(response.cookies.values());
    response.redirectChain = [];
    return response;
  }
}
