import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CommandError } from '../exceptions';
import type { Settings } from '../settings';
import { EXIT_USAGE } from './errors';
import { isTypeScript, registerTypeScriptLoader, TYPESCRIPT_EXTENSIONS } from './typescript-loader';

/** Django's `DJANGO_SETTINGS_MODULE`: used when `--settings` is not given. */
export const SETTINGS_ENV_VAR = 'MANOUCHE_SETTINGS_MODULE';

/**
 * `--settings`, else `MANOUCHE_SETTINGS_MODULE`, else the `manouche.settings` of the nearest
 * package.json above `cwd` (what `startproject` writes; a path relative to that package.json). A
 * usage error when none names one.
 */
export function settingsSpecifier(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  const specifier = option ?? env[SETTINGS_ENV_VAR];
  if (specifier !== undefined && specifier !== '') return specifier;
  const fromManifest = settingsFromManifest(cwd);
  if (fromManifest !== null) return fromManifest;
  throw new CommandError(
    `No settings: pass --settings <module> (a .js or .ts file, or a module name), set ${SETTINGS_ENV_VAR}, ` +
      'or name it in package.json ("manouche": { "settings": "src/settings.ts" })',
    EXIT_USAGE,
  );
}

/** The nearest package.json's `manouche.settings`, made absolute; `null` when it names none. */
function settingsFromManifest(cwd: string): string | null {
  for (let directory = resolve(cwd); ; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (isFile(manifest)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(manifest, 'utf8'));
      } catch {
        return null;
      }
      const settings = isObject(parsed) && isObject(parsed.manouche) ? parsed.manouche.settings : undefined;
      return typeof settings === 'string' && settings !== '' ? resolve(directory, settings) : null;
    }
    if (dirname(directory) === directory) return null;
  }
}

/** What a path without an extension may stand for, JavaScript first. */
const EXTENSIONS = ['.js', '.cjs', '.mjs', ...TYPESCRIPT_EXTENSIONS];

/**
 * The file a settings specifier names, looked up from `cwd`: a path (`./settings.js`, `dist/settings`,
 * `src/settings.ts`, `/abs/settings.js`), a module name (`my-site/settings`), or Django's dotted name
 * (`mysite.settings` for `./mysite/settings.js` or `.ts`). A path without an extension finds a
 * `.js`, `.cjs`, `.mjs`, `.ts`, `.cts` or `.mts` file, or a folder's `index`. When nothing matches,
 * the error lists every file that was tried.
 */
export function locateSettingsModule(specifier: string, cwd: string = process.cwd()): string {
  const paths = [resolve(cwd, specifier)];
  if (/^[\w$-]+(\.[\w$-]+)+$/.test(specifier) && !existsSync(resolve(cwd, specifier)))
    paths.push(resolve(cwd, specifier.replace(/\./g, sep)));
  const tried: string[] = [];
  for (const path of paths) {
    for (const file of [path, ...EXTENSIONS.map((extension) => path + extension)]) {
      tried.push(file);
      if (isFile(file)) return file;
    }
    for (const file of EXTENSIONS.map((extension) => join(path, `index${extension}`))) {
      tried.push(file);
      if (isFile(file)) return file;
    }
  }
  if (!isAbsolute(specifier) && !specifier.startsWith('.')) {
    tried.push(`the package module '${specifier}' from ${cwd}`);
    try {
      return require.resolve(specifier, { paths: [cwd] });
    } catch {
      // Not a package either: reported below with every other reading.
    }
  }
  throw new CommandError(
    `Cannot find the settings module '${specifier}' (looked from ${cwd}); tried:\n${tried
      .map((file) => `  ${file}`)
      .join('\n')}`,
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
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
  if (isTypeScript(file)) await registerTypeScriptLoader(file, cwd);
  let exported: unknown;
  try {
    exported = await importModule(file);
  } catch (caught) {
    throw new CommandError(`Cannot load the settings module ${file}:\n${describeLoadError(caught, file)}`);
  }
  const settings = pickSettings(exported);
  if (settings === null)
    throw new CommandError(
      `The settings module ${file} exports no settings object (use module.exports, a default export or an export named settings)`,
    );
  return { settings, file };
}

/**
 * The error's trace; for a module that can't be found, first a sentence naming it, since Node's own
 * message ("Cannot find module './urls'") reads as if the settings module itself were missing.
 */
function describeLoadError(caught: unknown, file: string): string {
  const detail = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
  const code = (caught as NodeJS.ErrnoException | null)?.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return detail;
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(detail)?.[1];
  const hint = isTypeScript(file)
    ? ''
    : ' (a .js settings module that imports TypeScript files needs them compiled: pass the .ts file to run the sources)';
  return `${file} was found, but a module it imports was not: '${missing ?? 'unknown'}'${hint}\n${detail}`;
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
