import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createApp, type Application } from '../application';
import type { HttpServer, ListenOptions, TlsOptions } from '../server/node-server';
import { CommandError } from '../exceptions';
import { runAndPrintChecks } from './check';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors';
import { logHttp2Requests, logRequests } from './request-log';
import { loadSettings, locateSettingsModule } from './settings-module';
import { watchTree } from './watch';

/** Where `runserver` listens by default, as Django's. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;
/** Changes closer together than this restart the server once. */
export const RELOAD_DEBOUNCE_MS = 200;
/** How long a server being restarted may take to close before it is killed. */
const CHILD_STOP_TIMEOUT_MS = 10_000;
const MAX_PORT = 65_535;
/** Set in the server process the reloader runs (Django's `RUN_MAIN`). */
export const RUN_MAIN_ENV = 'MANOUCHE_RUN_MAIN';
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** What Django says for the usual `listen` failures. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EACCES: "You don't have permission to access that port.",
  EADDRINUSE: 'That port is already in use.',
  EADDRNOTAVAIL: "That IP address can't be assigned to.",
  ENOTFOUND: "That host name can't be resolved.",
};

export interface Address {
  host: string;
  port: number;
}

export interface RunserverOptions {
  /** The settings specifier (`--settings` or `MANOUCHE_SETTINGS_MODULE`). */
  settings: string;
  /** `port`, `host:port` or `[ipv6]:port`; default 127.0.0.1:8000. */
  address?: string;
  /** Restart the server when a file under the settings module's directory changes. */
  reload?: boolean;
  skipChecks?: boolean;
  /** `--cert`: a PEM certificate file; with `key`, the server speaks HTTPS. */
  cert?: string;
  /** `--key`: the PEM private key of `cert`. */
  key?: string;
  /** `--http2`: HTTP/2 as well (ALPN `h2` over TLS, h2c in cleartext), HTTP/1.1 staying on the port. */
  http2?: boolean;
  /** The CLI's entry file, which the reloader forks. */
  entry: string;
}

/**
 * Parses Django's `addrport`: `8000`, `0.0.0.0:8000`, `[::1]:8000` (`0:8000` is `0.0.0.0:8000`).
 * Throws a usage error for anything else.
 */
export function parseAddress(value: string | undefined): Address {
  if (value === undefined || value === '') return { host: DEFAULT_HOST, port: DEFAULT_PORT };
  const match = /^(?:\[(?<ipv6>[^\]]+)\]:|(?<host>[^:[\]]+):)?(?<port>\d{1,5})$/.exec(value);
  const port = Number(match?.groups?.port);
  if (match === null || port > MAX_PORT)
    throw new CommandError(`"${value}" is not a valid port number or address:port pair.`, EXIT_USAGE);
  const host = match.groups?.ipv6 ?? match.groups?.host ?? DEFAULT_HOST;
  return { host: host === '0' ? '0.0.0.0' : host, port };
}

/** `http://127.0.0.1:8000/` (`https://` when `secure`), brackets around an IPv6 host. */
export function serverUrl(host: string, port: number, secure = false): string {
  return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** The certificate and key `--cert` and `--key` name, read once; both or neither, else a usage error. */
export function readTls(cert: string | undefined, key: string | undefined): TlsOptions | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new CommandError('--cert and --key go together: give both files, or neither.', EXIT_USAGE);
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (caught) {
      throw new CommandError(`Cannot read the ${what} file ${file}: ${(caught as Error).message}`);
    }
  };
  return { cert: read(cert, '--cert'), key: read(key, '--key') };
}

/**
 * `manouche runserver`: the system checks (errors abort with 1), then `createApp(settings).listen()`
 * until SIGINT/SIGTERM, which close the application and resolve 0, printing a request line per
 * request (see {@link logRequests}). With `reload`, the server runs in a child process that is
 * restarted when a file changes.
 */
export async function runserverCommand(options: RunserverOptions): Promise<number> {
  const address = parseAddress(options.address);
  if (options.reload) return runWithReloader(options);
  const tls = readTls(options.cert, options.key);
  return serve(options, { port: address.port, host: address.host, tls, http2: options.http2 === true });
}

async function serve(options: RunserverOptions, listenOptions: ListenOptions & Address): Promise<number> {
  const { settings } = await loadSettings(options.settings);
  if (!options.skipChecks) {
    process.stdout.write('Performing system checks...\n\n');
    if (runAndPrintChecks(settings)) return EXIT_FAILURE;
  }
  const app = createApp(settings);
  // Listen for the signals before the banner: a signal that arrived between printing "Starting
  // development server" and installing the handlers would kill the process the default way.
  const stopRequested = stopSignal();
  const server = await listen(app, listenOptions);
  logRequests(server, process.stderr);
  if (app.http2Server !== null) logHttp2Requests(app.http2Server, process.stderr);
  const { port } = server.address() as AddressInfo;
  const protocols = listenOptions.http2 ? ' (HTTP/2 and HTTP/1.1)' : '';
  process.stdout.write(
    `${timestamp()}\n` +
      `Manouche version ${version()}, using settings '${options.settings}'\n` +
      `Starting development server at ${serverUrl(listenOptions.host, port, listenOptions.tls !== undefined)}${protocols}\n` +
      'Quit the server with CONTROL-C.\n',
  );
  await stopRequested;
  try {
    await app.close();
    return EXIT_OK;
  } catch (caught) {
    process.stderr.write(`Error while closing the server: ${String(caught)}\n`);
    return EXIT_FAILURE;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM; later ones are ignored (the reloader's SIGTERM may follow
 * the terminal's SIGINT), since `close()` cuts in-flight requests after its grace period anyway. Under
 * the reloader, the watching process going away (even by SIGKILL) closes the IPC channel: that stops
 * the server too, rather than leaving it on the port.
 */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => resolve();
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
    if (process.env[RUN_MAIN_ENV] === 'true' && process.connected) process.once('disconnect', stop);
  });
}

async function listen(app: Application, address: ListenOptions & Address): Promise<HttpServer> {
  try {
    return await app.listen(address);
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code ?? '';
    throw new CommandError(
      LISTEN_ERRORS[code] ?? `Cannot listen on ${address.host}:${address.port}: ${String(caught)}`,
    );
  }
}

/**
 * Django's autoreloader: this process only watches; the server runs in a child (the same CLI without
 * `--reload`), stopped with SIGTERM and started again after a change. A server that exits on its own
 * (a syntax error, a failed check) is started again after the next change.
 */
async function runWithReloader(options: RunserverOptions): Promise<number> {
  const root = dirname(locateSettingsModule(options.settings));
  const args = [
    'runserver',
    ...(options.address === undefined ? [] : [options.address]),
    '--settings',
    options.settings,
    ...(options.skipChecks ? ['--skip-checks'] : []),
    ...(options.cert === undefined ? [] : ['--cert', options.cert]),
    ...(options.key === undefined ? [] : ['--key', options.key]),
    ...(options.http2 ? ['--http2'] : []),
  ];
  let child: ChildProcess | null = null;
  let stopping = false;
  const stoppedOnPurpose = new WeakSet<ChildProcess>();

  const start = (): void => {
    const started = fork(options.entry, args, {
      stdio: 'inherit',
      env: { ...process.env, [RUN_MAIN_ENV]: 'true' },
    });
    started.on('exit', (code, signal) => {
      if (child === started) child = null;
      if (stopping || stoppedOnPurpose.has(started)) return;
      process.stderr.write(
        `The server exited (${signal ?? `code ${code}`}); waiting for a file change to restart it.\n`,
      );
    });
    child = started;
  };

  const stopChild = (): Promise<void> => {
    const current = child;
    child = null;
    if (current === null || current.exitCode !== null || current.signalCode !== null)
      return Promise.resolve();
    stoppedOnPurpose.add(current);
    return new Promise((resolve) => {
      const timer = setTimeout(() => current.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
      current.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      current.kill('SIGTERM');
    });
  };

  let restarts: Promise<void> = Promise.resolve();
  let debounce: NodeJS.Timeout | undefined;
  let lastChange = '';
  const watcher = watchTree(root, (path) => {
    if (stopping) return;
    lastChange = path;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      restarts = restarts.then(async () => {
        if (stopping) return;
        process.stdout.write(`${lastChange} changed, reloading.\n`);
        await stopChild();
        if (!stopping) start();
      });
    }, RELOAD_DEBOUNCE_MS);
  });

  const stopRequested = stopSignal();
  process.stdout.write(`Watching for file changes in ${root}\n`);
  start();
  await stopRequested;
  stopping = true;
  clearTimeout(debounce);
  watcher.close();
  await restarts;
  await stopChild();
  return EXIT_OK;
}

/** `November 25, 2025 - 14:03:07`, Django's banner date. */
function timestamp(now: Date = new Date()): string {
  const date = now.toLocaleDateString('en-US', { month: 'long', day: '2-digit', year: 'numeric' });
  const time = now.toTimeString().slice(0, 8);
  return `${date} - ${time}`;
}

/** The version of `@manouche/core` (read from its package.json, next to `dist/` and `src/`). */
export function version(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
