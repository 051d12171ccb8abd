import { CookieJar, encodeForm } from '@manouche/testing';
import { httpRequest, type NodeResponse } from './raw-http';

/** A response as the browser saw it, with its `Set-Cookie` values by cookie name. */
export interface BrowserResponse extends NodeResponse {
  /** The raw `Set-Cookie` values by cookie name. */
  setCookies: Map<string, string>;
}

/**
 * A browser in miniature over real sockets: it keeps the cookies the server sets (as `Client` does in
 * process) and sends them back, one connection per request.
 */
export class Browser {
  readonly cookies = new CookieJar();
  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    this.#baseUrl = baseUrl;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.request('GET', path, undefined, headers);
  }

  /** A form POST (urlencoded), with the CSRF token in `csrfmiddlewaretoken` when given. */
  post(
    path: string,
    form: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    return this.request('POST', path, form, headers);
  }

  async request(
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    const sent: Record<string, string> = { ...headers };
    const cookie = this.cookies.header();
    if (cookie !== null) sent.cookie = cookie;
    let body: string | undefined;
    if (form !== undefined) {
      body = encodeForm(form);
      sent['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await httpRequest(`${this.#baseUrl}${path}`, { method, headers: sent, body });
    const setCookie = response.headers['set-cookie'] ?? [];
    this.cookies.store(setCookie);
    const setCookies = new Map(setCookie.map((value) => [value.slice(0, value.indexOf('=')), value]));
    return { ...response, setCookies };
  }
}
