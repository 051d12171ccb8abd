import { missingResponse } from '../handler/exception';
import { isPromiseLike, type MaybePromise } from '../handler/sync';
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

  async call(request: HttpRequest): Promise<HttpResponse> {
    let response: HttpResponse | null | undefined | void = null;
    if (this.processRequest !== undefined) {
      const answer = this.processRequest(request);
      response = isPromiseLike(answer) ? await answer : answer;
    }
    if (response == null) {
      if (this.getResponse === null)
        throw new TypeError(`${this.constructor.name} was built without getResponse`);
      response = await this.getResponse(request);
    }
    if (this.processResponse !== undefined) {
      const answer = this.processResponse(request, response);
      const processed: HttpResponse | null | undefined | void = isPromiseLike(answer) ? await answer : answer;
      if (processed == null) throw missingResponse(`${this.constructor.name}.processResponse`, processed);
      response = processed;
    }
    return response;
  }
}
