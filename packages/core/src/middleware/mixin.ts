import { missingResponse } from '../handler/exception';
import { heldResponse, isPromiseLike, type MaybePromise } from '../handler/sync';
import type { GetResponse, ResponseOrNothing } from '../handler/types';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { View, ViewParams } from '../urls/patterns';

/**
 * Django's `MiddlewareMixin`: write `processRequest`/`processResponse` (and any other hook) once and the
 * class works in both `MIDDLEWARE` and `MIDDLEWARE_CLASSES`.
 *
 * In `MIDDLEWARE`, `call()` runs `processRequest`; if that returned nothing, the inner layers; then,
 * always, `processResponse` on whichever response it has.
 */
export class MiddlewareMixin {
  /** The next layer inward; `null` under `MIDDLEWARE_CLASSES`, where it is never needed. */
  protected readonly getResponse: GetResponse | null;

  processRequest?(request: HttpRequest): MaybePromise<ResponseOrNothing>;
  processView?(request: HttpRequest, view: View, params: ViewParams): MaybePromise<ResponseOrNothing>;
  processTemplateResponse?(request: HttpRequest, response: HttpResponse): MaybePromise<ResponseOrNothing>;
  processResponse?(request: HttpRequest, response: HttpResponse): MaybePromise<ResponseOrNothing>;
  processException?(request: HttpRequest, error: unknown): MaybePromise<ResponseOrNothing>;

  constructor(getResponse?: GetResponse) {
    this.getResponse = getResponse ?? null;
  }

  /**
   * Synchronous when every hook and the inner layers answered synchronously, so a stack of mixins
   * keeps the handler's same-tick path; otherwise a promise. Promise chains rather than an async
   * function: a WebSocket handshake's `call` waits as long as the connection lives, and a suspended
   * async function costs each idle connection several times what a reaction does.
   */
  call(request: HttpRequest): MaybePromise<HttpResponse> {
    if (this.processRequest !== undefined) {
      const answer = this.processRequest(request);
      if (isPromiseLike(answer))
        return answer.then((early) =>
          early == null ? this.#inward(request) : this.#outward(request, early),
        );
      if (answer != null) return this.#outward(request, answer);
    }
    return this.#inward(request);
  }

  /** The inner layers, then `processResponse` on their answer. */
  #inward(request: HttpRequest): MaybePromise<HttpResponse> {
    if (this.getResponse === null)
      throw new TypeError(`${this.constructor.name} was built without getResponse`);
    const response = this.getResponse(request);
    // Without processResponse there is nothing to add: the inner layers' own promise (which never
    // rejects) is this layer's answer, and the layer outside need not wrap it again.
    if (this.processResponse === undefined) return response;
    // The inner layers' promise may hold a response already in hand: carry on in this tick.
    const held = heldResponse(response);
    if (held !== null) return this.#outward(request, held);
    return response.then((inner) => this.#outward(request, inner));
  }

  /** `processResponse`, always, on whichever response this layer has. */
  #outward(request: HttpRequest, response: HttpResponse): MaybePromise<HttpResponse> {
    if (this.processResponse === undefined) return response;
    const answer = this.processResponse(request, response);
    return isPromiseLike(answer)
      ? answer.then((processed) => this.#checked(processed))
      : this.#checked(answer);
  }

  #checked(processed: ResponseOrNothing): HttpResponse {
    if (processed == null) throw missingResponse(`${this.constructor.name}.processResponse`, processed);
    return processed;
  }
}
