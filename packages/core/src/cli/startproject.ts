import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { CommandError } from '../exceptions';
import { EXIT_OK, EXIT_USAGE } from './errors';
import { version } from './runserver';

/** `@manouche/core`'s own folder: `dist/cli/..` once built, `src/cli/..` under ts-jest. */
const PACKAGE_ROOT = join(__dirname, '..', '..');
const PROJECT_TEMPLATE = join(PACKAGE_ROOT, 'project_template');
const APP_TEMPLATE = join(PACKAGE_ROOT, 'app_template');
/** A template file's name ends with this, so the repository never compiles, lints or tests it. */
const TEMPLATE_SUFFIX = '-tpl';
/** Where a new project keeps the `@manouche/*` tarballs it installs (until they are on the registry). */
const VENDOR_DIRECTORY = 'vendor';

/** The packages a project depends on, and whether it needs them at run time or only to test. */
const MANOUCHE_PACKAGES = [
  { name: '@manouche/core', folder: 'core', dev: false },
  { name: '@manouche/websocket', folder: 'websocket', dev: false },
  { name: '@manouche/testing', folder: 'testing', dev: true },
] as const;

/**
 * The tools a new project develops with, at the ranges this repository itself uses (a test keeps them
 * equal to the root package.json's), so a machine that installed the repository has them cached.
 * `tsx` runs the TypeScript sources under `npm start`; `ts-jest` lets jest read the tests.
 */
export const PROJECT_DEV_DEPENDENCIES: Readonly<Record<string, string>> = {
  '@types/jest': '^29.5.14',
  '@types/node': '^20.19.43',
  jest: '^29.7.0',
  'ts-jest': '^29.4.15',
  tsx: '^4.23.15',
  typescript: '^5.9.3',
};

/** npm's rule for a package name, which the project's name becomes: lower case, URL-safe. */
const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/;
/** An app's name is also a folder and part of identifiers in its files. */
const APP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface StartprojectOptions {
  name: string;
  /** Where to create the project; default `./NAME`. */
  directory?: string;
  /** A folder holding `manouche-core-*.tgz` and the other tarballs (`npm run pack` in a clone). */
  packages?: string;
  cwd?: string;
}

/** Where the project's `@manouche/*` packages come from, as `package.json` dependency specs. */
type PackageSpecs = Record<(typeof MANOUCHE_PACKAGES)[number]['name'], string>;

/**
 * `manouche startproject NAME [DIR]`: Django's `startproject` for a TypeScript project, with settings,
 * URL conf, views (a page and a WebSocket echo), a jest test, and `npm start` / `npm test`.
 */
export function startprojectCommand(options: StartprojectOptions): number {
  const cwd = options.cwd ?? process.cwd();
  const { name } = options;
  if (!PROJECT_NAME.test(name))
    throw new CommandError(
      `'${name}' is not a valid project name: it becomes the npm package name, so use lower-case letters, digits, '-', '_' and '.' (starting with a letter or digit)`,
      EXIT_USAGE,
    );
  const target = resolve(cwd, options.directory ?? name);
  const files = templateFiles(PROJECT_TEMPLATE);
  refuseToOverwrite(target, [...files.map((file) => outputName(file)), 'package.json']);

  const secretKey = randomBytes(36).toString('base64url');
  writeTemplate(PROJECT_TEMPLATE, files, target, { project_name: name, secret_key: secretKey });
  const { specs, note } = manouchePackages(options, target);
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(projectManifest(name, specs), null, 2)}\n`);

  const where = relative(cwd, target) || '.';
  process.stdout.write(
    `Created the Manouche project ${name} in ${target}\n` +
      (note === null ? '' : `${note}\n`) +
      '\nNext:\n' +
      (where === '.' ? '' : `  cd ${where.includes(' ') ? JSON.stringify(where) : where}\n`) +
      '  npm install\n' +
      '  npm start    # the development server on http://127.0.0.1:8000/, reloading on changes\n' +
      '  npm test     # type-checks, then runs the tests\n',
  );
  return EXIT_OK;
}

export interface StartappOptions {
  name: string;
  /** Where to create the app; default `src/NAME` when there is a `src` folder, else `./NAME`. */
  directory?: string;
  cwd?: string;
}

/** `manouche startapp NAME [DIR]`: a folder with the app's views, URL conf and a test. */
export function startappCommand(options: StartappOptions): number {
  const cwd = options.cwd ?? process.cwd();
  const { name } = options;
  if (!APP_NAME.test(name))
    throw new CommandError(
      `'${name}' is not a valid app name: use letters, digits and '_', starting with a letter or '_'`,
      EXIT_USAGE,
    );
  const defaultParent = isDirectory(join(cwd, 'src')) ? join(cwd, 'src') : cwd;
  const target = resolve(cwd, options.directory ?? join(defaultParent, name));
  const files = templateFiles(APP_TEMPLATE);
  refuseToOverwrite(
    target,
    files.map((file) => outputName(file)),
  );
  writeTemplate(APP_TEMPLATE, files, target, { app_name: name });
  const where = relative(cwd, target) || '.';
  process.stdout.write(
    `Created the app ${name} in ${where}\n\n` +
      'Mount its URL conf in your root URL conf (src/urls.ts):\n' +
      `  import { urlpatterns as ${name}Urls } from './${relative(join(cwd, 'src'), target).split(sep).join('/')}/urls';\n` +
      `  include('${name}/', ${name}Urls, { namespace: '${name}' }),\n`,
  );
  return EXIT_OK;
}

function projectManifest(name: string, specs: PackageSpecs): Record<string, unknown> {
  const dependencies: Record<string, string> = {};
  const devDependencies: Record<string, string> = { ...PROJECT_DEV_DEPENDENCIES };
  for (const { name: packageName, dev } of MANOUCHE_PACKAGES)
    (dev ? devDependencies : dependencies)[packageName] = specs[packageName];
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'commonjs',
    scripts: {
      start: 'manouche runserver --reload',
      test: 'tsc && jest',
      build: 'tsc -p tsconfig.build.json',
      check: 'manouche check',
    },
    // Django's manage.py names the settings module; so does this, for every `manouche` command run here.
    manouche: { settings: 'src/settings.ts' },
    engines: { node: '>=20.19' },
    dependencies: sortKeys(dependencies),
    devDependencies: sortKeys(devDependencies),
    // npm 11 runs a dependency's install script only once approved: esbuild's (tsx's compiler) checks
    // that its binary for this platform is in place.
    allowScripts: { esbuild: true },
  };
}

/**
 * The dependency specs of the `@manouche/*` packages: tarballs copied from `--packages`; tarballs
 * packed from the repository clone this command runs from (the packages are not on the npm registry
 * yet); or, for an installed `@manouche/core`, its version from the registry.
 */
function manouchePackages(
  options: StartprojectOptions,
  target: string,
): { specs: PackageSpecs; note: string | null } {
  const cwd = options.cwd ?? process.cwd();
  const vendor = join(target, VENDOR_DIRECTORY);
  let tarballs: Map<string, string>;
  let note: string;
  if (options.packages !== undefined) {
    const source = resolve(cwd, options.packages);
    tarballs = new Map(
      MANOUCHE_PACKAGES.map(({ name, folder }) => [name, findTarball(source, folder)] as const),
    );
    mkdirSync(vendor, { recursive: true });
    for (const [name, file] of tarballs) {
      copyFileSync(file, join(vendor, basename(file)));
      tarballs.set(name, basename(file));
    }
    note = `The @manouche packages are the tarballs from ${source}, copied into ${VENDOR_DIRECTORY}/.`;
  } else {
    const repository = repositoryRoot();
    if (repository === null) {
      const range = `^${version()}`;
      return {
        specs: Object.fromEntries(MANOUCHE_PACKAGES.map(({ name }) => [name, range])) as PackageSpecs,
        note: null,
      };
    }
    tarballs = packWorkspaces(repository, vendor);
    note =
      `The @manouche packages were packed from ${repository} into ${VENDOR_DIRECTORY}/ ` +
      '(until they are on the npm registry).';
  }
  const specs = Object.fromEntries(
    MANOUCHE_PACKAGES.map(({ name }) => [name, `file:${VENDOR_DIRECTORY}/${tarballs.get(name)}`]),
  ) as PackageSpecs;
  return { specs, note };
}

/** The root of the Manouche repository this `@manouche/core` was built in, or `null` once installed. */
function repositoryRoot(): string | null {
  const root = resolve(PACKAGE_ROOT, '..', '..');
  if (PACKAGE_ROOT.split(sep).includes('node_modules')) return null;
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: unknown };
    return Array.isArray(manifest.workspaces) && manifest.workspaces.includes('packages/core') ? root : null;
  } catch {
    return null;
  }
}

/** `npm pack`s the three workspaces into `destination`; resolves each package name to its file name. */
function packWorkspaces(repository: string, destination: string): Map<string, string> {
  const unbuilt = MANOUCHE_PACKAGES.filter(
    ({ folder }) => !existsSync(join(repository, 'packages', folder, 'dist', 'index.js')),
  );
  if (unbuilt.length > 0)
    throw new CommandError(
      `Build the repository first (npm run build in ${repository}): ${unbuilt.map(({ name }) => name).join(', ')} has no dist/`,
    );
  mkdirSync(destination, { recursive: true });
  let output: string;
  try {
    output = execFileSync(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        destination,
        ...MANOUCHE_PACKAGES.flatMap(({ folder }) => ['--workspace', `packages/${folder}`]),
      ],
      {
        cwd: repository,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: process.platform === 'win32',
      },
    );
  } catch (caught) {
    const stderr = (caught as { stderr?: unknown }).stderr;
    throw new CommandError(
      `npm pack failed in ${repository}: ${typeof stderr === 'string' ? stderr : String(caught)}`,
    );
  }
  const packed = JSON.parse(output) as Array<{ name: string; filename: string }>;
  return new Map(packed.map((entry) => [entry.name, entry.filename]));
}

/** `manouche-core-0.1.0.tgz` (the newest of several) in `directory`. */
function findTarball(directory: string, folder: string): string {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    throw new CommandError(`--packages ${directory}: no such folder`);
  }
  const prefix = `manouche-${folder}-`;
  const matches = names.filter((name) => name.startsWith(prefix) && name.endsWith('.tgz')).sort();
  const newest = matches.at(-1);
  if (newest === undefined)
    throw new CommandError(
      `--packages ${directory} holds no ${prefix}<version>.tgz (make them with npm run pack in a Manouche clone)`,
    );
  return join(directory, newest);
}

/** The template's files, relative to it, in a stable order. */
function templateFiles(template: string): string[] {
  const walk = (directory: string): string[] =>
    readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(directory, entry.name))
        : [relative(template, join(directory, entry.name))],
    );
  return walk(template).sort();
}

/** `src/views.ts-tpl` -> `src/views.ts`; `gitignore-tpl` -> `.gitignore` (npm would drop a real one). */
function outputName(file: string): string {
  const name = file.endsWith(TEMPLATE_SUFFIX) ? file.slice(0, -TEMPLATE_SUFFIX.length) : file;
  return basename(name) === 'gitignore' ? join(dirname(name), '.gitignore') : name;
}

function refuseToOverwrite(target: string, names: readonly string[]): void {
  if (existsSync(target) && !isDirectory(target))
    throw new CommandError(`${target} exists and is not a folder`);
  const existing = names.filter((name) => existsSync(join(target, name)));
  if (existing.length > 0)
    throw new CommandError(`${target} already has ${existing.join(', ')}: nothing was written`);
}

/** Copies the template with `{{ name }}` replaced by `values[name]`. */
function writeTemplate(
  template: string,
  files: readonly string[],
  target: string,
  values: Readonly<Record<string, string>>,
): void {
  for (const file of files) {
    const content = readFileSync(join(template, file), 'utf8').replace(
      /\{\{ (\w+) \}\}/g,
      (placeholder: string, key: string) => values[key] ?? placeholder,
    );
    const output = join(target, outputName(file));
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, content);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
