import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DEV_DEPENDENCIES } from '../src/cli/startproject';
import { runCli } from './support/cli';

describe('manouche startproject and startapp', () => {
  let parent: string;

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'manouche-start-'));
  });

  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('gives a project the repository’s own ranges of jest, ts-jest, tsx and typescript, which its lockfile holds', () => {
    const root = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    for (const [name, range] of Object.entries(PROJECT_DEV_DEPENDENCIES))
      expect([name, range]).toEqual([name, root.devDependencies[name]]);
  });

  it('installs the @manouche packages from the tarballs of --packages, copied into vendor/', async () => {
    const tarballs = join(parent, 'tarballs');
    mkdirSync(tarballs);
    for (const name of ['core-0.1.0', 'core-0.2.0', 'websocket-0.2.0', 'testing-0.2.0'])
      writeFileSync(join(tarballs, `manouche-${name}.tgz`), '');
    const result = await runCli(['startproject', 'blog', 'site', '--packages', tarballs], { cwd: parent });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('\n  cd site\n  npm install\n');
    const manifest = JSON.parse(readFileSync(join(parent, 'site', 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      manouche: { settings: string };
    };
    expect(manifest.name).toBe('blog');
    expect(manifest.manouche).toEqual({ settings: 'src/settings.ts' });
    expect(manifest.dependencies).toEqual({
      '@manouche/core': 'file:vendor/manouche-core-0.2.0.tgz',
      '@manouche/websocket': 'file:vendor/manouche-websocket-0.2.0.tgz',
    });
    expect(manifest.devDependencies['@manouche/testing']).toBe('file:vendor/manouche-testing-0.2.0.tgz');
    expect(existsSync(join(parent, 'site', 'vendor', 'manouche-core-0.2.0.tgz'))).toBe(true);
    expect(existsSync(join(parent, 'site', '.gitignore'))).toBe(true);
    const settings = readFileSync(join(parent, 'site', 'src', 'settings.ts'), 'utf8');
    expect(settings).toMatch(/SECRET_KEY: process\.env\.SECRET_KEY \?\? '[\w-]{48}'/);
  });

  it('refuses a name npm would refuse, exiting 2', async () => {
    const result = await runCli(['startproject', 'My Site'], { cwd: parent });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: 'My Site' is not a valid project name/);
  });

  it('refuses to overwrite a project, writing nothing', async () => {
    mkdirSync(join(parent, 'mysite', 'src'), { recursive: true });
    writeFileSync(join(parent, 'mysite', 'src', 'views.ts'), 'mine');
    const result = await runCli(['startproject', 'mysite', '--packages', parent], { cwd: parent });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('already has src/views.ts: nothing was written');
    expect(readFileSync(join(parent, 'mysite', 'src', 'views.ts'), 'utf8')).toBe('mine');
    expect(existsSync(join(parent, 'mysite', 'package.json'))).toBe(false);
  });

  it('needs a NAME', async () => {
    const result = await runCli(['startproject'], { cwd: parent });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^manouche startproject: NAME is required\n\nUsage: manouche startproject/);
  });

  it('startapp writes views, a URL conf and a test under src/, and says how to mount it', async () => {
    mkdirSync(join(parent, 'src'));
    const result = await runCli(['startapp', 'polls'], { cwd: parent });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    for (const file of ['views.ts', 'urls.ts', 'views.test.ts'])
      expect(existsSync(join(parent, 'src', 'polls', file))).toBe(true);
    expect(result.stdout).toContain("import { urlpatterns as pollsUrls } from './polls/urls';");
    expect(result.stdout).toContain("include('polls/', pollsUrls, { namespace: 'polls' }),");
    expect(readFileSync(join(parent, 'src', 'polls', 'urls.ts'), 'utf8')).toContain(
      "path('', index, { name: 'index' })",
    );
  });

  it('startapp refuses a name that is not an identifier', async () => {
    const result = await runCli(['startapp', 'my-app'], { cwd: parent });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: 'my-app' is not a valid app name/);
  });
});
