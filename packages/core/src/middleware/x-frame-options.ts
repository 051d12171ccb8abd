import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import type { View } from '../urls/patterns';
import { wraps } from '../views/wraps';
import { MiddlewareMixin } from './mixin';

/** Responses of views wrapped in {@link xframeOptionsExempt}. */
const exemptResponses = new WeakSet<HttpResponse>();

/**
 * Django's `XFrameOptionsMiddleware`: sets `X-Frame-Options` to the `X_FRAME_OPTIONS` setting
 * (`'DENY'` by default, or `'SAMEORIGIN'`), read on every request, so other sites can't frame the
 * page (clickjacking). A response that already has the header keeps it, and the responses of views
 * wrapped in {@link xframeOptionsExempt} get none. Override `getXFrameOptionsValue` to choose per
 * request. Works in `MIDDLEWARE` and `MIDDLEWARE_CLASSES`.
 */
export class XFrameOptionsMiddleware extends MiddlewareMixin {
  override processResponse(request: HttpRequest, response: HttpResponse): HttpResponse {
    if (response.headers.has('X-Frame-Options') || exemptResponses.has(response)) return response;
    response.headers.set('X-Frame-Options', this.getXFrameOptionsValue(request, response));
    return response;
  }

  /** The header's value: `X_FRAME_OPTIONS` in upper case. */
  protected getXFrameOptionsValue(request: HttpRequest, _response: HttpResponse): string {
    return request.app!.settings.X_FRAME_OPTIONS.toUpperCase();
  }
}

/**
 * Django's `@xframe_options_exempt`: the view's responses are left without `X-Frame-Options` by
 * {@link XFrameOptionsMiddleware}, so any site may frame them.
 */
export function xframeOptionsExempt<V extends View>(view: V): V {
  const exempt = async function (this: unknown, ...args: Parameters<V>): Promise<HttpResponse> {
    const response = await (view.apply(this, args) as HttpResponse | Promise<HttpResponse>);
    if (response != null) exemptResponses.add(response);
    return response;
  };
  return wraps(view)(exempt as unknown as V);
}

/** The response of `view`, with `X-Frame-Options: value` unless it already has the header. */
function withFrameOptions<V extends View>(view: V, value: 'DENY' | 'SAMEORIGIN'): V {
  const framed = async function (this: unknown, ...args: Parameters<V>): Promise<HttpResponse> {
    const response = await (view.apply(this, args) as HttpResponse | Promise<HttpResponse>);
    if (response != null && !response.headers.has('X-Frame-Options'))
      response.headers.set('X-Frame-Options', value);
    return response;
  };
  return wraps(view)(framed as unknown as V);
}

/** Django's `@xframe_options_deny`: the view's responses get `X-Frame-Options: DENY`. */
export function xframeOptionsDeny<V extends View>(view: V): V {
  return withFrameOptions(view, 'DENY');
}

/** Django's `@xframe_options_sameorigin`: the view's responses get `X-Frame-Options: SAMEORIGIN`. */
export function xframeOptionsSameorigin<V extends View>(view: V): V {
  return withFrameOptions(view, 'SAMEORIGIN');
}
