import { missingResponse } from '../handler/exception';
import type { LegacyMiddleware } from '../handler/types';
import type { HttpRequest } from '../http/request';
import type { HttpResponse } from '../http/response';
import { isTemplateResponse, type TemplateResponse } from '../templates/template-response';
import type { View, ViewParams } from '../urls/patterns';
import { wraps } from '../views/wraps';

/**
 * Django's `decorator_from_middleware`: runs one middleware's hooks around a single view, whatever the
 * stack holds: `processRequest`, `processView` (either may answer instead of the view), the view,
 * `processException` for its error, `processTemplateResponse`, then `processResponse` (after rendering,
 * for a `TemplateResponse`, as Django does). The middleware is built once, with no `getResponse`.
 */
export function decoratorFromMiddleware(
  MiddlewareClass: new () => LegacyMiddleware,
): <V extends View>(view: V) => V {
  const middleware = new MiddlewareClass();
  return <V extends View>(view: V): V =>
    wraps(view)((async (request: HttpRequest, params: ViewParams): Promise<HttpResponse> => {
      const early =
        (await middleware.processRequest?.(request)) ??
        (await middleware.processView?.(request, view, params));
      if (early != null) return early;
      let response: HttpResponse;
      try {
        response = await view(request, params);
      } catch (error) {
        const handled = await middleware.processException?.(request, error);
        if (handled != null) return handled;
        throw error;
      }
      if (isTemplateResponse(response)) {
        if (middleware.processTemplateResponse !== undefined) {
          const replaced = await middleware.processTemplateResponse(request, response);
          if (replaced == null)
            throw missingResponse(`${MiddlewareClass.name}.processTemplateResponse`, replaced);
          response = replaced;
        }
        const processResponse = middleware.processResponse?.bind(middleware);
        if (processResponse !== undefined && isTemplateResponse(response)) {
          (response as TemplateResponse).addPostRenderCallback((rendered) =>
            processResponse(request, rendered),
          );
          return response;
        }
      }
      if (middleware.processResponse === undefined) return response;
      const processed = await middleware.processResponse(request, response);
      if (processed == null) throw missingResponse(`${MiddlewareClass.name}.processResponse`, processed);
      return processed;
    }) as V);
}
