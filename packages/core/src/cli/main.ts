#!/usr/bin/env node
/**
 * The `manouche` command: Django's `django-admin` and `manage.py` for a Manouche project.
 * `startproject` and `startapp` write files; `runserver`, `check` and `routes` read a settings module
 * given by `--settings`, `MANOUCHE_SETTINGS_MODULE` or the project's package.json.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CheckLevel } from '../checks/messages';
import { CommandError, ManoucheError } from '../exceptions';
import { checkCommand } from './check';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors';
import { routesCommand } from './routes';
import { runserverCommand, version } from './runserver';
import { SETTINGS_ENV_VAR, settingsSpecifier } from './settings-module';
import { startappCommand, startprojectCommand } from './startproject';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

interface Command {
  summary: string;
  help: string;
  options: Options;
  /** How many positional arguments the command takes at most. */
  positionals: number;
  /** How many it needs (default none). */
  minimumPositionals?: number;
  run(values: Values, positionals: string[]): Promise<number>;
}

const COMMON_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
};
const SETTINGS_OPTION: Options = { settings: { type: 'string' } };

const SETTINGS_HELP = `  --settings <module>  the settings module: a .js or .ts file (TypeScript runs through tsx), a
                       module name, or a dotted name (mysite.settings); default: env
                       ${SETTINGS_ENV_VAR}, else "manouche": { "settings" } in package.json
  -h, --help           show this help`;

const COMMANDS: Readonly<Record<string, Command>> = {
  runserver: {
    summary: 'start the development server (default 127.0.0.1:8000)',
    help: `Usage: manouche runserver [port | host:port | [ipv6]:port] [options]

Runs the system checks (errors abort), then serves the application until CONTROL-C.

Options:
${SETTINGS_HELP}
  --reload             restart the server when a file under the settings module's directory changes
  --skip-checks        do not run the system checks first
  --cert FILE          serve HTTPS with this PEM certificate (needs --key)
  --key FILE           the PEM private key of --cert
  --http2              serve HTTP/2 too: ALPN h2 with --cert, else cleartext h2c; HTTP/1.1 stays
`,
    options: {
      ...SETTINGS_OPTION,
      reload: { type: 'boolean' },
      'skip-checks': { type: 'boolean' },
      cert: { type: 'string' },
      key: { type: 'string' },
      http2: { type: 'boolean' },
    },
    positionals: 1,
    run: (values, positionals) =>
      runserverCommand({
        settings: settingsSpecifier(stringOption(values, 'settings')),
        address: positionals[0],
        reload: values.reload === true,
        skipChecks: values['skip-checks'] === true,
        cert: stringOption(values, 'cert'),
        key: stringOption(values, 'key'),
        http2: values.http2 === true,
        entry: __filename,
      }),
  },
  check: {
    summary: 'run the system checks',
    help: `Usage: manouche check [options]

Runs the system checks and prints what they find; exits 1 when one fails at the fail level.

Options:
${SETTINGS_HELP}
  --fail-level <level> error (default) or warning: the level that makes the command exit 1
`,
    options: { ...SETTINGS_OPTION, 'fail-level': { type: 'string' } },
    positionals: 0,
    run: (values) =>
      checkCommand({
        settings: settingsSpecifier(stringOption(values, 'settings')),
        failLevel: failLevel(stringOption(values, 'fail-level')),
      }),
  },
  routes: {
    summary: 'list the URL conf: route, view and name of every route',
    help: `Usage: manouche routes [options]

Prints every route of ROOT_URLCONF in match order: the route as written (prefixes included), the view
and the URL name.

Options:
${SETTINGS_HELP}
  --json               print a JSON array of { route, view, name } instead of a table
`,
    options: { ...SETTINGS_OPTION, json: { type: 'boolean' } },
    positionals: 0,
    run: (values) =>
      routesCommand({
        settings: settingsSpecifier(stringOption(values, 'settings')),
        json: values.json === true,
      }),
  },
  startproject: {
    summary: 'create a TypeScript project: settings, URL conf, views, a test, npm start and npm test',
    help: `Usage: manouche startproject NAME [DIR] [options]

Creates the project NAME in DIR (default ./NAME): package.json, tsconfig.json, src/settings.ts,
src/urls.ts, src/views.ts (a page and a WebSocket echo) and a jest test, then prints what to run.
Run from a clone of the Manouche repository, it packs the @manouche packages into DIR/vendor/.

Options:
  --packages <dir>     install the @manouche packages from the tarballs in <dir> (npm run pack)
  -h, --help           show this help
`,
    options: { packages: { type: 'string' } },
    positionals: 2,
    minimumPositionals: 1,
    run: (values, positionals) =>
      Promise.resolve(
        startprojectCommand({
          name: positionals[0]!,
          directory: positionals[1],
          packages: stringOption(values, 'packages'),
        }),
      ),
  },
  startapp: {
    summary: 'create an app: views, URL conf and a test in src/NAME (or DIR)',
    help: `Usage: manouche startapp NAME [DIR]

Creates the app NAME in DIR (default src/NAME when there is a src folder, else ./NAME): views.ts,
urls.ts and views.test.ts, then prints how to mount its URL conf.

Options:
  -h, --help           show this help
`,
    options: {},
    positionals: 2,
    minimumPositionals: 1,
    run: (_values, positionals) =>
      Promise.resolve(startappCommand({ name: positionals[0]!, directory: positionals[1] })),
  },
};

const USAGE = `Usage: manouche <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(13)}${command.summary}`)
  .join('\n')}

Options:
  -h, --help   show this help; manouche <command> --help for a command's options
  --version    print the version

runserver, check and routes read the settings module given by --settings <module>,
${SETTINGS_ENV_VAR}, or "manouche": { "settings": "src/settings.ts" } in package.json.
`;

/** Runs the command line `argv` (without `node` and the script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return usageError('No command given.', USAGE);
  if (name === '--help' || name === '-h') return print(USAGE);
  if (name === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    if (rest[0] !== undefined && topic === undefined)
      return usageError(`Unknown command: '${rest[0]}'`, USAGE);
    return print(topic?.help ?? USAGE);
  }
  if (name === '--version') return print(`${version()}\n`);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) return usageError(`Unknown command: '${name}'`, USAGE);

  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }));
  } catch (caught) {
    return usageError(
      `manouche ${name}: ${caught instanceof Error ? caught.message : String(caught)}`,
      command.help,
    );
  }
  if (values.help === true) return print(command.help);
  if (positionals.length < (command.minimumPositionals ?? 0))
    return usageError(`manouche ${name}: NAME is required`, command.help);
  if (positionals.length > command.positionals)
    return usageError(
      `manouche ${name}: unexpected argument '${positionals[command.positionals]}'`,
      command.help,
    );

  try {
    return await command.run(values, positionals);
  } catch (caught) {
    return reportFailure(caught);
  }
}

function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function failLevel(value: string | undefined): CheckLevel {
  if (value === undefined) return 'error';
  const level = value.toLowerCase();
  if (level === 'error' || level === 'warning') return level;
  throw new CommandError(`--fail-level must be error or warning; got '${value}'`, EXIT_USAGE);
}

function print(text: string): number {
  process.stdout.write(text);
  return EXIT_OK;
}

function usageError(message: string, usage: string): number {
  process.stderr.write(`${message}\n\n${usage}`);
  return EXIT_USAGE;
}

/** A `CommandError` or a Manouche error is one line; anything else gets its trace. */
function reportFailure(caught: unknown): number {
  if (caught instanceof CommandError) {
    process.stderr.write(`Error: ${caught.message}\n`);
    return caught.exitCode;
  }
  if (caught instanceof ManoucheError) {
    process.stderr.write(`${caught.name}: ${caught.message}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(`${caught instanceof Error ? (caught.stack ?? caught.message) : String(caught)}\n`);
  return EXIT_FAILURE;
}

/** Waits until `stream` has handed its buffered output to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/**
 * Runs `process.argv` and exits with its code: the `manouche` bin (`bin/manouche.js`) calls it, and
 * so does this file when Node runs it directly (the reloader's server process).
 */
export function runCommandLine(): void {
  void main(process.argv.slice(2))
    .catch(reportFailure)
    .then(async (code) => {
      await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
      // Explicitly: a settings module may hold handles (a database, timers) that would keep Node alive.
      process.exit(code);
    });
}

if (require.main === module) runCommandLine();
