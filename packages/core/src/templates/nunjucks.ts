import nunjucks from 'nunjucks';
import { TemplateDoesNotExist } from '../exceptions';
import type { HttpRequest } from '../http/request';
import type { Template, TemplateBackendParams, TemplateContext, TemplateEngine } from './engine';

/**
 * The Nunjucks backend: Jinja2 syntax, close to Django's templates. Autoescaping is on. `OPTIONS` go
 * to `nunjucks.Environment` (`filters` and `globals` are registered on it).
 *
 * ```ts
 * TEMPLATES: [{ BACKEND: NunjucksTemplates, DIRS: [path.join(__dirname, 'templates')] }]
 * ```
 */
export class NunjucksTemplates implements TemplateEngine {
  /** The Nunjucks environment, to add filters or extensions. */
  readonly environment: nunjucks.Environment;

  constructor(params: TemplateBackendParams) {
    const { filters, globals, ...options } = params.OPTIONS as {
      filters?: Record<string, (...args: never[]) => unknown>;
      globals?: Record<string, unknown>;
    } & nunjucks.ConfigureOptions;
    const loader = new nunjucks.FileSystemLoader(params.DIRS, { noCache: params.DEBUG });
    this.environment = new nunjucks.Environment(loader, { autoescape: true, ...options });
    for (const [name, filter] of Object.entries(filters ?? {})) this.environment.addFilter(name, filter);
    for (const [name, value] of Object.entries(globals ?? {})) this.environment.addGlobal(name, value);
  }

  getTemplate(name: string): Template {
    let compiled: nunjucks.Template;
    try {
      compiled = this.environment.getTemplate(name, true);
    } catch (error) {
      if (/template not found/i.test((error as Error).message)) throw new TemplateDoesNotExist(name);
      throw error;
    }
    return {
      render: (context: TemplateContext, request: HttpRequest | null) =>
        compiled.render({ request, ...context }),
    };
  }
}
