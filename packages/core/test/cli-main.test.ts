import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli } from './support/cli';

describe('manouche (the command line)', () => {
  it('starts with a node shebang so npm can link it as a bin', () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(manifest.bin).toEqual({ manouche: 'dist/cli/main.js' });
  });

  it('--help lists the commands on stdout and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: manouche <command> \[options\]/);
    for (const command of ['runserver', 'check', 'routes']) expect(result.stdout).toContain(`  ${command} `);
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
      'Error: No settings: pass --settings <module> (a .js file or a module name) or set MANOUCHE_SETTINGS_MODULE\n',
    );
  });

  it('--version prints the version of @manouche/core', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect((await runCli(['--version'])).stdout).toBe(`${version}\n`);
  });
});
