import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketTestClient } from '@manouche/testing';
import { runCli, STARTED } from './support/cli';

// What a new user does, end to end: `manouche startproject`, `npm install`, `npm test`, `npm start`.
// The project lives outside the repository, so nothing resolves through the workspace's node_modules:
// it installs the @manouche packages from the tarballs startproject packs from this clone, and the
// rest (jest, ts-jest, tsx, typescript) at the ranges the root lockfile holds, so from npm's cache.

/** The surrounding npm run's variables would point npm in the project back at this repository. */
function projectEnvironment(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('npm_') && !keep.has(name.toLowerCase())) continue;
    if (['INIT_CWD', 'JEST_WORKER_ID', 'MANOUCHE_SETTINGS_MODULE', 'NODE_OPTIONS'].includes(name)) continue;
    env[name] = value;
  }
  return env;
}

interface Run {
  code: number | null;
  output: string;
}

/** `npm ...args` in `cwd`, to completion. */
function npm(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env: projectEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Resolves with the `count`-th match of `pattern` in what `child` prints, or rejects after `timeoutMs`. */
function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  count: number,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern}:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const matches = [...output.matchAll(new RegExp(pattern.source, 'g'))];
      if (matches.length >= count) {
        cleanup();
        resolve(matches[count - 1]![1] ?? matches[count - 1]![0]);
      }
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`npm start exited before printing ${pattern}:\n${output}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', onExit);
  });
}

describe('manouche startproject, from nothing to a served page and a green npm test', () => {
  const parent = mkdtempSync(join(tmpdir(), 'manouche-startproject-'));
  const project = join(parent, 'mysite');
  let server: ChildProcess | null = null;

  afterAll(async () => {
    if (server !== null && server.exitCode === null && server.signalCode === null) {
      // npm start, the reloader and the server form one process group, started by this test.
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      process.kill(-server.pid!, 'SIGTERM');
      await exited;
    }
    rmSync(parent, { recursive: true, force: true });
  });

  it('writes the project and says what to run next', async () => {
    const result = await runCli(['startproject', 'mysite'], { cwd: parent });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Created the Manouche project mysite in ${project}`);
    expect(result.stdout).toMatch(/Next:\n {2}cd mysite\n {2}npm install\n {2}npm start .*\n {2}npm test /);

    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.dependencies).toEqual({
      '@manouche/core': expect.stringMatching(/^file:vendor\/manouche-core-\d+\.\d+\.\d+\.tgz$/),
      '@manouche/websocket': expect.stringMatching(/^file:vendor\/manouche-websocket-.+\.tgz$/),
    });
    expect(manifest.devDependencies['@manouche/testing']).toMatch(/^file:vendor\/manouche-testing-.+\.tgz$/);
    expect(manifest.scripts).toMatchObject({ start: 'manouche runserver --reload', test: 'tsc && jest' });
    const tsconfig = JSON.parse(readFileSync(join(project, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: Record<string, unknown>;
    };
    expect(tsconfig.compilerOptions).toMatchObject({
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    });
    expect(readFileSync(join(project, 'src', 'settings.ts'), 'utf8')).toContain('ROOT_URLCONF: urlpatterns');
  });

  it('installs from the packed tarballs', async () => {
    const install = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], project);
    expect(install).toMatchObject({ code: 0 });
    expect(install.output).not.toMatch(/EBADENGINE|not yet covered by allowScripts/);
  }, 300_000);

  it('runs its installed manouche: startapp adds an app whose test joins the suite', async () => {
    const startapp = await npm(['exec', '--', 'manouche', 'startapp', 'polls'], project);
    expect(startapp).toMatchObject({ code: 0 });
    expect(startapp.output).toContain('Created the app polls in src/polls');
  }, 60_000);

  it('passes its own npm test: tsc, then jest with @manouche/testing', async () => {
    const test = await npm(['test'], project);
    expect(test.output).toMatch(/Tests: +6 passed, 6 total/);
    expect(test.code).toBe(0);
  }, 120_000);

  it('serves the page and the WebSocket echo under npm start, and reloads the TypeScript it changes', async () => {
    server = spawn('npm', ['start', '--', '127.0.0.1:0'], {
      cwd: project,
      env: projectEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const url = await waitForOutput(server, STARTED, 1, 60_000);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>mysite is running</h1>');

    const socket = new WebSocketTestClient(`${url.replace(/^http/, 'ws')}echo/`, { timeoutMs: 5000 });
    expect(await socket.connect()).toMatchObject({ accepted: true, status: 101 });
    await socket.send('hello');
    expect(await socket.receive()).toBe('hello');
    expect(await socket.close(1000)).toEqual({ code: 1000, reason: '' });

    const views = join(project, 'src', 'views.ts');
    writeFileSync(views, readFileSync(views, 'utf8').replace('is running', 'was reloaded'));
    const reloaded = await waitForOutput(server, STARTED, 1, 60_000);
    expect(await (await fetch(reloaded)).text()).toContain('<h1>mysite was reloaded</h1>');
  }, 180_000);
});
