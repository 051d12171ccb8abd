import { CommandError } from '../exceptions';
import type { Settings } from '../settings';
import { isUrlConf, type View } from '../urls/patterns';
import { UrlResolver, type CompiledRoute } from '../urls/resolver';
import { viewChain, type ViewLike } from '../views/wraps';
import { EXIT_OK } from './errors';
import { loadSettings } from './settings-module';

/** One row of `manouche routes`. */
export interface RouteRow {
  /** The route as written, prefixes included (`''` for the root of a Django-syntax conf). */
  route: string;
  /** The view's name (`PostView.asView()` for a class-based view). */
  view: string;
  /** The URL name, namespaces included, or `null`. */
  name: string | null;
}

const HEADINGS = ['ROUTE', 'VIEW', 'NAME'] as const;
const COLUMN_GAP = '  ';

/** The compiled routes of `settings.ROOT_URLCONF`, in match order. */
export function routeRows(settings: Settings): RouteRow[] {
  if (!isUrlConf(settings.ROOT_URLCONF))
    throw new CommandError('The ROOT_URLCONF setting is required: an array of path()/include() entries');
  return new UrlResolver(settings.ROOT_URLCONF).routes.map((route: CompiledRoute) => ({
    route: route.route,
    view: viewName(route.view),
    name: route.name,
  }));
}

/** The rows as a padded table under `ROUTE  VIEW  NAME` (`-` for a route without a name). */
export function formatRoutes(rows: readonly RouteRow[]): string {
  if (rows.length === 0) return 'No routes: ROOT_URLCONF is empty.\n';
  const cells = [
    [...HEADINGS],
    ...rows.map((row) => [row.route === '' ? "''" : row.route, row.view, row.name ?? '-']),
  ];
  const widths = HEADINGS.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join(COLUMN_GAP)
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** `manouche routes`: the URL conf, one line per route (or a JSON array with `--json`). */
export async function routesCommand(options: { settings: string; json?: boolean }): Promise<number> {
  const { settings } = await loadSettings(options.settings);
  const rows = routeRows(settings);
  process.stdout.write(options.json ? `${JSON.stringify(rows, null, 2)}\n` : formatRoutes(rows));
  return EXIT_OK;
}

/** How long the source excerpt of an anonymous view may be, so the table stays readable. */
const SOURCE_EXCERPT_LENGTH = 60;

/**
 * The view's name (through `wraps()` wrappers); for a view written inline, as the READMEs write them
 * (`path('', () => new HttpResponse('Hello'))`), the start of its source, which says more than
 * `(anonymous)`.
 */
function viewName(view: View): string {
  const viewClass: unknown = (view as { viewClass?: unknown }).viewClass;
  if (typeof viewClass === 'function' && viewClass.name) return `${viewClass.name}.asView()`;
  if (view.name) return view.name;
  let innermost: ViewLike = view;
  for (const candidate of viewChain(view)) innermost = candidate;
  const source = Function.prototype.toString.call(innermost).replace(/\s+/g, ' ').trim();
  if (source === '') return '(anonymous)';
  return source.length > SOURCE_EXCERPT_LENGTH ? `${source.slice(0, SOURCE_EXCERPT_LENGTH - 1)}…` : source;
}
