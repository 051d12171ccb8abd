import { TemplateDoesNotExist } from '../exceptions';
import type { HttpRequest } from '../http/request';

/** Template variables. */
export type TemplateContext = Record<string, unknown>;

/** Anything that renders: what an engine returns, or what you pass to `TemplateResponse` directly. */
export interface Template {
  render(context: TemplateContext, request: HttpRequest | null): string | Promise<string>;
}

/** A template engine: finds templates by name (Django's template backend). */
export interface TemplateEngine {
  /** Throws {@link TemplateDoesNotExist} when it has no template by that name. */
  getTemplate(name: string): Template;
}

/** What a backend receives from its `TEMPLATES` entry. */
export interface TemplateBackendParams {
  DIRS: string[];
  OPTIONS: Record<string, unknown>;
  DEBUG: boolean;
}

/** One `TEMPLATES` entry, as in Django: `{ BACKEND: NunjucksTemplates, DIRS: [...] }`. */
export interface TemplateBackendSetting {
  BACKEND: new (params: TemplateBackendParams) => TemplateEngine;
  DIRS?: string[];
  OPTIONS?: Record<string, unknown>;
}

declare module '../settings' {
  interface Settings {
    /** Template engines, tried in order, as in Django. */
    TEMPLATES?: TemplateBackendSetting[];
  }
}

declare module '../http/request-types' {
  interface RequestApp {
    /** The configured engines (`TEMPLATES`), where a `TemplateResponse` finds its template. */
    readonly templates: TemplateEngine;
  }
}

/** Tries each engine in order, as Django's `get_template` does. */
export class TemplateEngines implements TemplateEngine {
  readonly #engines: readonly TemplateEngine[];

  constructor(settings: readonly TemplateBackendSetting[], debug: boolean) {
    this.#engines = settings.map(
      (entry) => new entry.BACKEND({ DIRS: entry.DIRS ?? [], OPTIONS: entry.OPTIONS ?? {}, DEBUG: debug }),
    );
  }

  getTemplate(name: string): Template {
    const tried: string[] = [];
    for (const engine of this.#engines) {
      try {
        return engine.getTemplate(name);
      } catch (error) {
        if (!(error instanceof TemplateDoesNotExist)) throw error;
        tried.push(error.message);
      }
    }
    const detail = this.#engines.length === 0 ? 'no TEMPLATES are configured' : tried.join('; ');
    throw new TemplateDoesNotExist(`${name} (${detail})`);
  }
}
