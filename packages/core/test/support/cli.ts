import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The built CLI (`npm test` builds before jest). */
export const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/**
 * A throwaway project under `packages/core/test/.tmp-*` (git-ignored), so `require('@manouche/core')`
 * in its files resolves through the workspace's node_modules to the built package.
 */
export class TempProject {
  readonly dir: string;

  constructor(files: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(__dirname, '..', '.tmp-'));
    for (const [name, content] of Object.entries(files)) this.write(name, content);
  }

  /** Writes (or overwrites) `name`, relative to the project. */
  write(name: string, content: string): string {
    const file = join(this.dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function environment(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  // The settings variable of the surrounding shell must not leak into a test.
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.MANOUCHE_SETTINGS_MODULE;
  return { ...base, ...env };
}

/** Runs `manouche ...args` to completion. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: environment(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running `manouche` process (runserver) whose output can be waited on. */
export class CliProcess {
  readonly child: ChildProcess;
  #stdout = '';
  #stderr = '';
  readonly #exited: Promise<number | null>;
  readonly #listeners = new Set<() => void>();

  constructor(args: string[], options: CliOptions = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: environment(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const changed = (): void => this.#listeners.forEach((listener) => listener());
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stdout += chunk;
      changed();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
      changed();
    });
    this.#exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    void this.#exited.then(changed);
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the `count`-th match of `pattern` in stdout; rejects (with the output so far) when
   * the process exits first or `timeoutMs` passes.
   */
  waitForOutput(pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return this.#waitFor(() => this.#stdout, pattern, count, timeoutMs);
  }

  /** {@link waitForOutput} for stderr. */
  waitForError(pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return this.#waitFor(() => this.#stderr, pattern, count, timeoutMs);
  }

  #waitFor(text: () => string, pattern: RegExp, count: number, timeoutMs: number): Promise<RegExpMatchArray> {
    const global = new RegExp(
      pattern.source,
      pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
    );
    return new Promise((resolve, reject) => {
      let exited = false;
      const check = (): void => {
        const matches = [...text().matchAll(global)];
        if (matches.length >= count) finish(() => resolve(matches[count - 1]!));
        else if (exited)
          finish(() => reject(new Error(`manouche exited before printing ${pattern}\n${this.output()}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out waiting for ${pattern}\n${this.output()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        settle();
      };
      void this.#exited.then(() => {
        exited = true;
        check();
      });
      this.#listeners.add(check);
      check();
    });
  }

  /** The exit code once the process has ended. */
  exited(): Promise<number | null> {
    return this.#exited;
  }

  /** Sends `signal` and resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.#exited;
  }

  /** Stops the process if a test left it running: SIGTERM, then SIGKILL if it lingers. */
  async dispose(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 12_000);
    await this.stop('SIGTERM');
    clearTimeout(timer);
  }

  output(): string {
    return `--- stdout ---\n${this.#stdout}--- stderr ---\n${this.#stderr}`;
  }
}

/** The server URL from a `Starting development server at http://...` line. */
export const STARTED = /Starting development server at (http:\/\/[^\s]+\/)/;
