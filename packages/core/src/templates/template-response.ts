import { ContentNotRenderedError } from '../exceptions';
import type { HttpRequest } from '../http/request';
import { HttpResponse, type ResponseInit } from '../http/response';
import { TemplateEngines, type Template, type TemplateContext, type TemplateEngine } from './engine';

/**
 * Django's `TemplateResponse`: the template and context stay open to middleware
 * (`processTemplateResponse`) until the handler renders it after the view.
 */
export class TemplateResponse extends HttpResponse {
  /** A template name for the configured engines, or any object with `render`. */
  template: string | Template;
  context: TemplateContext;
  readonly request: HttpRequest;
  #rendered: boolean;
  #postRenderCallbacks: Array<(response: TemplateResponse) => unknown>;
  #rendering: Promise<this> | null = null;

  constructor(
    request: HttpRequest,
    template: string | Template,
    context: TemplateContext = {},
    init: ResponseInit = {},
  ) {
    super(undefined, init);
    this.request = request;
    this.template = template;
    this.context = context;
    this.#rendered = false;
    this.#postRenderCallbacks = [];
  }

  get isRendered(): boolean {
    return this.#rendered;
  }

  override get content(): Buffer {
    if (!this.#rendered)
      throw new ContentNotRenderedError('The response content must be rendered before it can be accessed.');
    return super.content;
  }

  override set content(value: string | Buffer) {
    super.content = value;
    this.#rendered = true;
  }

  /**
   * Renders once (later calls do nothing), then runs the post-render callbacks. A call made while a
   * render is under way waits for that one instead of starting another.
   */
  render(): Promise<this> {
    // Shared so that two callers (say, a middleware and the handler) can't render twice; a failed
    // render is forgotten so a later call may try again.
    this.#rendering ??= this.#render().catch((error: unknown) => {
      this.#rendering = null;
      throw error;
    });
    return this.#rendering;
  }

  async #render(): Promise<this> {
    if (this.#rendered) return this;
    const template =
      typeof this.template === 'string' ? this.#engine().getTemplate(this.template) : this.template;
    this.content = await template.render(this.context, this.request);
    for (const callback of this.#postRenderCallbacks) await callback(this);
    return this;
  }

  /** Runs `callback` after rendering (at once if already rendered), as Django's does. */
  addPostRenderCallback(callback: (response: TemplateResponse) => unknown): void {
    if (this.#rendered) void callback(this);
    else this.#postRenderCallbacks.push(callback);
  }

  #engine(): TemplateEngine {
    return this.request.app?.templates ?? new TemplateEngines([], false);
  }
}

/** Whether a response still needs `render()` (Django checks for a callable `render`). */
export function isTemplateResponse(
  response: HttpResponse,
): response is HttpResponse & { render(): Promise<unknown>; isRendered: boolean } {
  return typeof (response as { render?: unknown }).render === 'function';
}
