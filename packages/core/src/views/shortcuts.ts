import { NoReverseMatch } from '../exceptions';
import type { HttpRequest } from '../http/request';
import {
  HttpResponse,
  HttpResponsePermanentRedirect,
  HttpResponseRedirect,
  type ResponseInit,
} from '../http/response';
import { TemplateEngines, type Template, type TemplateContext } from '../templates/engine';
import { reverse } from '../urls/reverse';

// Django's django.shortcuts: the helpers a view reaches for first.

/**
 * Django's `render()`: renders `template` (a name for the configured engines, or any object with
 * `render`) with `context` now and returns a plain `HttpResponse` with the result. Use
 * `TemplateResponse` instead when middleware should still see the template and context.
 */
export async function render(
  request: HttpRequest,
  template: string | Template,
  context: TemplateContext = {},
  init: ResponseInit = {},
): Promise<HttpResponse> {
  const found =
    typeof template === 'string'
      ? (request.app?.templates ?? new TemplateEngines([], false)).getTemplate(template)
      : template;
  return new HttpResponse(await found.render(context, request), init);
}

/** Something with a canonical URL (Django's `get_absolute_url()`), such as a model object. */
export interface HasAbsoluteUrl {
  getAbsoluteUrl(): string;
}

/**
 * Django's `resolve_url()`: the URL for `to`, which is an object with `getAbsoluteUrl()`, a URL name
 * to `reverse()` with `params`, or a URL (relative `./`/`../` URLs are kept as they are). A string that
 * is no URL name and has neither `/` nor `.` is not taken for a URL: `NoReverseMatch` is thrown.
 */
export function resolveUrl(to: string | HasAbsoluteUrl, params: Record<string, unknown> = {}): string {
  if (typeof to !== 'string') return to.getAbsoluteUrl();
  if (to.startsWith('./') || to.startsWith('../')) return to;
  try {
    return reverse(to, params);
  } catch (error) {
    if (!(error instanceof NoReverseMatch) || (!to.includes('/') && !to.includes('.'))) throw error;
    return to;
  }
}

/**
 * Django's `redirect()`: a 302 (or, with `permanent`, a 301) to {@link resolveUrl}`(to, params)`.
 *
 * ```ts
 * return redirect('post-detail', { id: post.id });
 * return redirect(post); // post.getAbsoluteUrl()
 * return redirect('/login/', {}, { permanent: true });
 * ```
 */
export function redirect(
  to: string | HasAbsoluteUrl,
  params: Record<string, unknown> = {},
  options: { permanent?: boolean } = {},
): HttpResponseRedirect {
  const url = resolveUrl(to, params);
  return options.permanent ? new HttpResponsePermanentRedirect(url) : new HttpResponseRedirect(url);
}
