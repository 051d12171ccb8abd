import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

// What a user of the published packages does: plain Node, no TypeScript loader, against `dist/`
// (`npm test` runs `npm run build` first).
const root = join(__dirname, '..', '..', '..');
const packages = [
  { name: '@manouche/core', exported: 'createApp' },
  { name: '@manouche/websocket', exported: 'acceptWebsocket' },
  { name: '@manouche/testing', exported: 'Client' },
  { name: '@manouche/client', exported: 'connect' },
];

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the built packages', () => {
  it.each(packages)('$name has a build with type declarations', ({ name }) => {
    const directory = join(root, 'packages', name.split('/')[1]!, 'dist');
    expect(existsSync(join(directory, 'index.js'))).toBe(true);
    expect(existsSync(join(directory, 'index.d.ts'))).toBe(true);
  });

  it.each(packages)('$name loads with require()', ({ name, exported }) => {
    expect(node(['-e', `process.stdout.write(typeof require(${JSON.stringify(name)}).${exported})`])).toBe(
      'function',
    );
  });

  it.each(packages)('$name loads with import and named exports', ({ name, exported }) => {
    const source = `import { ${exported} } from ${JSON.stringify(name)}; process.stdout.write(typeof ${exported});`;
    expect(node(['--input-type=module', '-e', source])).toBe('function');
  });
});

interface Manifest {
  name: string;
  license?: string;
  repository?: { url?: string; directory?: string };
  engines?: { node?: string };
  publishConfig?: { access?: string };
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function manifestOf(name: string): Manifest {
  return JSON.parse(
    readFileSync(join(root, 'packages', name.split('/')[1]!, 'package.json'), 'utf8'),
  ) as Manifest;
}

function filesUnder(directory: string, extension: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The packages a build file loads (or its declarations name), by package name; Node's own left out. */
function bareImports(directory: string, extension: string): Set<string> {
  const pattern = /(?:require\(|from |import\()["']([^"'./][^"']*)["']/g;
  const names = new Set<string>();
  for (const file of filesUnder(directory, extension))
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (specifier!.startsWith('node:') || builtinModules.includes(specifier!)) continue;
      const parts = specifier!.split('/');
      names.add(specifier!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  return names;
}

/** Whether `name` ships its own declarations (else its users need `@types/<name>`). */
function shipsTypes(name: string): boolean {
  const manifest = JSON.parse(
    readFileSync(require.resolve(`${name}/package.json`, { paths: [root] }), 'utf8'),
  ) as {
    types?: string;
    typings?: string;
    exports?: unknown;
  };
  return (
    Boolean(manifest.types ?? manifest.typings) || JSON.stringify(manifest.exports ?? '').includes('"types"')
  );
}

describe('the published packages', () => {
  const tarballs = JSON.parse(
    execFileSync(
      'npm',
      [
        'pack',
        '--dry-run',
        '--json',
        ...packages.flatMap(({ name }) => ['--workspace', `packages/${name.split('/')[1]}`]),
      ],
      {
        cwd: root,
        encoding: 'utf8',
      },
    ),
  ) as Array<{ name: string; files: Array<{ path: string }> }>;

  it.each(packages)(
    '$name depends on exactly what its build loads, and on the types its declarations name',
    ({ name }) => {
      const directory = join(root, 'packages', name.split('/')[1]!, 'dist');
      const loaded = bareImports(directory, '.js');
      const declared = bareImports(directory, '.d.ts');
      const needed = new Set([
        ...loaded,
        ...[...declared].map((module) => (shipsTypes(module) ? module : `@types/${module}`)),
        ...declared,
      ]);
      expect(Object.keys(manifestOf(name).dependencies ?? {}).sort()).toEqual([...needed].sort());
    },
  );

  it.each(packages)(
    '$name has what the registry needs: license, repository, engines, public access',
    ({ name }) => {
      const manifest = manifestOf(name);
      expect(manifest.license).toBe('MIT');
      expect(manifest.repository).toMatchObject({ directory: `packages/${name.split('/')[1]}` });
      expect(manifest.engines?.node).toBe('>=20.19');
      expect(manifest.publishConfig).toEqual({ access: 'public' });
    },
  );

  it.each(packages)(
    '$name packs its build, sources, README and LICENSE, and nothing compiled from a deleted source',
    ({ name }) => {
      const files = tarballs.find((tarball) => tarball.name === name)!.files.map((file) => file.path);
      expect(files).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'LICENSE',
          'dist/index.js',
          'dist/index.d.ts',
          'src/index.ts',
        ]),
      );
      expect(
        files.filter((file) => /^(test|node_modules)\//.test(file) || file.endsWith('.tsbuildinfo')),
      ).toEqual([]);
      const stale = files
        .filter((file) => file.startsWith('dist/') && file.endsWith('.js'))
        .filter((file) => !files.includes(file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')));
      expect(stale).toEqual([]);
    },
  );

  it('@manouche/core packs the bin and the startproject templates', () => {
    const files = tarballs
      .find((tarball) => tarball.name === '@manouche/core')!
      .files.map((file) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/manouche.js',
        'project_template/src/settings.ts-tpl',
        'app_template/views.ts-tpl',
      ]),
    );
  });
});
