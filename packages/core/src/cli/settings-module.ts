import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CommandError } from '../exceptions';
import type { Settings } from '../settings';
import { EXIT_USAGE } from './errors';

/** Django's `DJANGO_SETTINGS_MODULE`: used when `--settings` is not given. */
export const SETTINGS_ENV_VAR = 'MANOUCHE_SETTINGS_MODULE';

/** `--settings`, else `MANOUCHE_SETTINGS_MODULE`; a usage error when neither is set. */
export function settingsSpecifier(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const specifier = option ?? env[SETTINGS_ENV_VAR];
  if (specifier === undefined || specifier === '') {
    throw new CommandError(
      `No settings: pass --settings <module> (a .js file or a module name) or set ${SETTINGS_ENV_VAR}`,
      EXIT_USAGE,
    );
  }
  return specifier;
}

/**
 * The file a settings specifier names, looked up from `cwd`: a path (`./settings.js`, `dist/settings`,
 * `/abs/settings.js`), a module name (`my-site/settings`), or Django's dotted name (`mysite.settings`
 * for `./mysite/settings.js`).
 */
export function locateSettingsModule(specifier: string, cwd: string = process.cwd()): string {
  const candidates = [resolve(cwd, specifier), specifier];
  if (/^[\w$-]+(\.[\w$-]+)+$/.test(specifier) && !existsSync(resolve(cwd, specifier)))
    candidates.push(resolve(cwd, specifier.replace(/\./g, sep)));
  for (const candidate of candidates) {
    try {
      return require.resolve(candidate, { paths: [cwd] });
    } catch {
      // Try the next reading of the specifier.
    }
  }
  throw new CommandError(`Cannot find the settings module '${specifier}' (looked from ${cwd})`);
}

/**
 * Loads the settings module and picks the settings object: its default export, else `module.exports`
 * itself when it holds `ROOT_URLCONF`, else its `settings` export, else `module.exports`.
 */
export async function loadSettings(
  specifier: string,
  cwd: string = process.cwd(),
): Promise<{ settings: Settings; file: string }> {
  const file = locateSettingsModule(specifier, cwd);
  let exported: unknown;
  try {
    exported = await importModule(file);
  } catch (caught) {
    const detail = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
    throw new CommandError(`Cannot load the settings module ${file}:\n${detail}`);
  }
  const settings = pickSettings(exported);
  if (settings === null)
    throw new CommandError(
      `The settings module ${file} exports no settings object (use module.exports, a default export or an export named settings)`,
    );
  return { settings, file };
}

async function importModule(file: string): Promise<unknown> {
  try {
    // A path known only at run time: require() it, as Node would the entry of a CommonJS program.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as unknown;
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code;
    // An ES module with top-level await, or a Node that can't require() ES modules.
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw caught;
    return (await import(pathToFileURL(file).href)) as unknown;
  }
}

function pickSettings(exported: unknown): Settings | null {
  if (!isObject(exported)) return null;
  if (isObject(exported.default)) return exported.default as Settings;
  if ('ROOT_URLCONF' in exported) return exported as Settings;
  if (isObject(exported.settings)) return exported.settings as Settings;
  return exported as Settings;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
