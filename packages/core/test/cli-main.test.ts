import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from './support/cli';

describe('manouche (the command line)', () => {
  it('has a committed bin with a node shebang, so npm links it even before the first build', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(manifest.bin).toEqual({ manouche: 'bin/manouche.js' });
    expect(readFileSync(join(__dirname, '..', 'bin', 'manouche.js'), 'utf8').split('\n')[0]).toBe(
      '#!/usr/bin/env node',
    );
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('runs through the bin as through dist/cli/main.js', async () => {
    const viaBin = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(__dirname, '..', 'bin', 'manouche.js'), '--version'],
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(viaBin).toBe((await runCli(['--version'])).stdout);
  });

  it('--help lists the commands on stdout and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: manouche <command> \[options\]/);
    for (const command of ['runserver', 'check', 'routes', 'startproject', 'startapp'])
      expect(result.stdout).toContain(`  ${command} `);
  });

  it.each(['runserver', 'check', 'routes'])(
    '%s --help prints that command’s options and exits 0',
    async (command) => {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: manouche ${command}`));
      expect(result.stdout).toContain('--settings <module>');
    },
  );

  it('help <command> is the same as <command> --help', async () => {
    expect((await runCli(['help', 'routes'])).stdout).toBe((await runCli(['routes', '--help'])).stdout);
  });

  it('an unknown command prints the usage on stderr and exits 2', async () => {
    const result = await runCli(['migrate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Unknown command: 'migrate'\n\nUsage: manouche/);
  });

  it('no command at all prints the usage and exits 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: manouche <command>');
  });

  it('an unknown option prints the command’s usage and exits 2', async () => {
    const result = await runCli(['check', '--settings', 'x.js', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--frobnicate'");
    expect(result.stderr).toContain('Usage: manouche check');
  });

  it('a command without settings (no --settings, no MANOUCHE_SETTINGS_MODULE) exits 2 saying how to give them', async () => {
    const result = await runCli(['check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'Error: No settings: pass --settings <module> (a .js or .ts file, or a module name), set MANOUCHE_SETTINGS_MODULE, ' +
        'or name it in package.json ("manouche": { "settings": "src/settings.ts" })\n',
    );
  });

  it('--version prints the version of @manouche/core', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect((await runCli(['--version'])).stdout).toBe(`${version}\n`);
  });
});
