import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CommandError } from '../exceptions';

/** Extensions of the TypeScript modules `manouche` runs through tsx. */
export const TYPESCRIPT_EXTENSIONS: readonly string[] = ['.ts', '.cts', '.mts'];

/** The loader, an optional peer dependency of `@manouche/core`: a project that runs `.ts` installs it. */
const LOADER = 'tsx';

let registered = false;

export function isTypeScript(file: string): boolean {
  return TYPESCRIPT_EXTENSIONS.some((extension) => file.endsWith(extension));
}

/**
 * Lets `require()` and `import()` load TypeScript for the rest of this process, through the project's
 * own tsx (found from the settings module's directory, then from the working directory, then beside
 * `@manouche/core`), so `manouche runserver --settings src/settings.ts` runs the sources as they are.
 *
 * tsx rather than ts-node or a compile step: it starts in milliseconds (esbuild transpiles file by
 * file, without type-checking, which `tsc` and the editor do anyway), follows the project's tsconfig
 * (`experimentalDecorators`, `paths`), and handles CommonJS and ES module projects alike.
 */
export async function registerTypeScriptLoader(settingsFile: string, cwd: string): Promise<void> {
  if (registered) return;
  const paths = [dirname(settingsFile), cwd, __dirname];
  let cjsApi: string;
  let esmApi: string;
  try {
    cjsApi = require.resolve(`${LOADER}/cjs/api`, { paths });
    esmApi = require.resolve(`${LOADER}/esm/api`, { paths });
  } catch {
    throw new CommandError(
      `The settings module ${settingsFile} is TypeScript, and running it needs the ${LOADER} loader, ` +
        `which is not installed: npm install --save-dev ${LOADER} (or compile the project and pass the .js file)`,
    );
  }
  // Resolved at run time from the user's project: a plain require() of a computed path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(cjsApi) as { register(): unknown }).register();
  // The ES module hooks, for `"type": "module"` projects, from tsx's ES module build: its CommonJS
  // build points Node at a loader file it does not ship.
  const esmBuild = esmApi.replace(/\.cjs$/, '.mjs');
  if (esmBuild !== esmApi && existsSync(esmBuild))
    ((await import(pathToFileURL(esmBuild).href)) as { register(): unknown }).register();
  registered = true;
}
