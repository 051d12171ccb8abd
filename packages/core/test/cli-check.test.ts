import { runCli, TempProject } from './support/cli';

const CLEAN = `const { path, HttpResponse } = require('@manouche/core');
module.exports = { ROOT_URLCONF: [path('', () => new HttpResponse('home'), { name: 'home' })] };
`;

const BROKEN = `const { path, HttpResponse } = require('@manouche/core');
module.exports = {
  DEBUG: true,
  ALLOWED_HOSTS: ['*'],
  WEBSOCKET_ACCEPT_ALL: true,
  MIDDLEWARE: [],
  ROOT_URLCONF: [path('', () => new HttpResponse('home'))],
};
`;

const WARNINGS_ONLY = `const { path, HttpResponse } = require('@manouche/core');
module.exports = { DEBUGG: true, ROOT_URLCONF: [path('', () => new HttpResponse('home'))] };
`;

describe('manouche check', () => {
  let project: TempProject;

  beforeEach(() => {
    project = new TempProject({ 'clean.js': CLEAN, 'broken.js': BROKEN, 'warnings.js': WARNINGS_ONLY });
  });

  afterEach(() => project.remove());

  it('prints "no issues" on stdout and exits 0 for clean settings', async () => {
    const result = await runCli(['check', '--settings', project.path('clean.js')]);
    expect(result).toEqual({
      code: 0,
      stdout: 'System check identified no issues (0 silenced).\n',
      stderr: '',
    });
  });

  it('prints errors and warnings as Django does, on stderr, and exits 1', async () => {
    const result = await runCli(['check', '--settings', project.path('broken.js')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'System check identified some issues:',
        '',
        'ERRORS:',
        '?: (manouche.E002) WEBSOCKET_ACCEPT_ALL is true but MIDDLEWARE has no WebSocketMiddleware, so no WebSocket handshake is ever accepted',
        '\tHINT: Add WebSocketMiddleware from @manouche/websocket to MIDDLEWARE.',
        '',
        'WARNINGS:',
        "?: (manouche.W005) DEBUG is true and ALLOWED_HOSTS is ['*']: error pages with messages and traces are served to any host",
        '\tHINT: Turn DEBUG off outside your machine, or list the host names you serve in ALLOWED_HOSTS.',
        '',
        'System check identified 2 issues (0 silenced).',
        '',
      ].join('\n'),
    );
  });

  it('exits 0 when there are only warnings, still printing them', async () => {
    const result = await runCli(['check', '--settings', project.path('warnings.js')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'WARNINGS:\n?: (manouche.W002) Unknown setting DEBUGG; did you mean DEBUG?\n',
    );
    expect(result.stderr).toContain('System check identified 1 issue (0 silenced).');
    expect(result.stderr).not.toContain('ERRORS:');
  });

  it('exits 1 on warnings with --fail-level warning', async () => {
    const result = await runCli([
      'check',
      '--fail-level',
      'warning',
      '--settings',
      project.path('warnings.js'),
    ]);
    expect(result.code).toBe(1);
  });

  it('counts the ids SILENCED_SYSTEM_CHECKS leaves out', async () => {
    project.write(
      'silenced.js',
      WARNINGS_ONLY.replace('DEBUGG: true,', "DEBUGG: true, SILENCED_SYSTEM_CHECKS: ['manouche.W002'],"),
    );
    const result = await runCli(['check', '--settings', project.path('silenced.js')]);
    expect(result).toEqual({
      code: 0,
      stdout: 'System check identified no issues (1 silenced).\n',
      stderr: '',
    });
  });

  it('reports invalid settings as manouche.E001 with the ImproperlyConfigured message', async () => {
    project.write('invalid.js', "module.exports = { ROOT_URLCONF: [], DEBUG: 'yes' };\n");
    const result = await runCli(['check', '--settings', project.path('invalid.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('?: (manouche.E001) The DEBUG setting must be a boolean; got "yes"\n');
  });

  it('reads MANOUCHE_SETTINGS_MODULE when --settings is not given', async () => {
    const result = await runCli(['check'], { env: { MANOUCHE_SETTINGS_MODULE: project.path('broken.js') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('manouche.E002');
  });

  it('finds a relative path, a path without .js and a dotted module name from the working directory', async () => {
    project.write('mysite/settings.js', CLEAN);
    for (const specifier of ['./clean.js', 'clean', 'mysite/settings', 'mysite.settings']) {
      const result = await runCli(['check', '--settings', specifier], { cwd: project.dir });
      expect([specifier, result.code, result.stdout]).toEqual([
        specifier,
        0,
        'System check identified no issues (0 silenced).\n',
      ]);
    }
  });

  it('takes the settings from a default export or an export named settings', async () => {
    project.write('default.js', `exports.default = { DEBUGG: 1, ROOT_URLCONF: [] };\n`);
    project.write('named.js', `exports.settings = { DEBUGG: 1, ROOT_URLCONF: [] };\nexports.other = 1;\n`);
    for (const file of ['default.js', 'named.js']) {
      const result = await runCli(['check', '--settings', project.path(file)]);
      expect(result.stderr).toContain('Unknown setting DEBUGG; did you mean DEBUG?');
    }
  });

  it('exits 1 naming a settings module that does not exist, and every file it tried', async () => {
    const result = await runCli(['check', '--settings', 'no/such/settings'], { cwd: project.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^Error: Cannot find the settings module 'no/such/settings' \\(looked from ${project.dir}\\); tried:\n`,
      ),
    );
    for (const tried of ['settings', 'settings.js', 'settings.ts', 'settings/index.ts'])
      expect(result.stderr).toContain(`\n  ${project.path(`no/such/${tried}`)}\n`);
    expect(result.stderr).toContain("the package module 'no/such/settings' from");
  });

  it('runs a TypeScript settings module through tsx, with its extensionless imports of TypeScript files', async () => {
    project.write(
      'src/settings.ts',
      `import type { Settings } from '@manouche/core';
import { urlpatterns } from './urls';
const settings: Settings = { DEBUGG: true, ROOT_URLCONF: urlpatterns };
export default settings;
`,
    );
    project.write(
      'src/urls.ts',
      `import { path, HttpResponse, type UrlConf } from '@manouche/core';
export const urlpatterns: UrlConf = [path('', () => new HttpResponse('home'))];
`,
    );
    const result = await runCli(['check', '--settings', 'src/settings.ts'], { cwd: project.dir });
    expect(result.stderr).toContain('Unknown setting DEBUGG; did you mean DEBUG?');
    expect(result.code).toBe(0);
  });

  it('reads the settings module named in the nearest package.json, relative to that file', async () => {
    project.write('package.json', JSON.stringify({ name: 'site', manouche: { settings: 'warnings.js' } }));
    project.write('deep/inside/.keep', '');
    const result = await runCli(['check'], { cwd: project.path('deep/inside') });
    expect(result.stderr).toContain('Unknown setting DEBUGG; did you mean DEBUG?');
  });

  it('says the settings module was found when what it imports is missing', async () => {
    project.write('imports.js', "require('./urls');\nmodule.exports = {};\n");
    const result = await runCli(['check', '--settings', project.path('imports.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `Error: Cannot load the settings module ${project.path('imports.js')}:\n${project.path('imports.js')} was found, but a module it imports was not: './urls'`,
    );
  });

  it('exits 1 with the error of a settings module that throws while loading', async () => {
    project.write('throws.js', "throw new Error('database password missing');\n");
    const result = await runCli(['check', '--settings', project.path('throws.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Error: Cannot load the settings module .*throws\.js:\nError: database password missing/,
    );
  });
});
