import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SOURCE = resolve(__dirname, '../src');

/**
 * The layers of `packages/core/src`, lowest first. A file may import (even a type) only from its own
 * layer or a lower one, so a reader climbs from the errors to the public face without jumping back.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['exceptions.ts', 'log.ts', 'signing.ts'],
  ['settings.ts', 'settings/'],
  ['http/'],
  ['urls/', 'templates/', 'views/', 'server/'],
  ['handler/'],
  ['middleware/', 'auth/', 'messages/', 'application.ts'],
  ['checks/', 'cli/'],
  ['index.ts'],
];

function layerOf(file: string): number {
  const layer = LAYERS.findIndex((members) =>
    members.some((member) => (member.endsWith('/') ? file.startsWith(member) : file === member)),
  );
  if (layer === -1) throw new Error(`${file} belongs to no layer: add it to LAYERS`);
  return layer;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [relative(SOURCE, full)] : [];
  });
}

/** Every relative import of `file` (value, type and `declare module` augmentations), as source paths. */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const info = ts.preProcessFile(readFileSync(join(SOURCE, file), 'utf8'), true, true);
  const specifiers = info.importedFiles
    .map((reference) => reference.fileName)
    .filter((specifier) => specifier.startsWith('.'));
  return specifiers.map((specifier) => {
    const target = relative(SOURCE, resolve(SOURCE, dirname(file), specifier));
    const candidates = [`${target}.ts`, join(target, 'index.ts')];
    const found = candidates.find((candidate) => known.has(candidate));
    if (found === undefined) throw new Error(`${file} imports ${specifier}, which is not a source file`);
    return found;
  });
}

const files = sourceFiles(SOURCE).sort();
const graph = new Map(files.map((file) => [file, importsOf(file, new Set(files))]));

describe('the import graph of @manouche/core', () => {
  it('runs one way: no file imports from a higher layer', () => {
    const upward = files.flatMap((file) =>
      graph
        .get(file)!
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no circle', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file)!) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('keeps index.ts a face: nothing imports it', () => {
    const importers = files.filter((file) => graph.get(file)!.includes('index.ts'));
    expect(importers).toEqual([]);
  });

  it('keeps the application free of Node networking, and the server free of the application', () => {
    const nodeNetworking = /from 'node:(http|https|http2|net|tls)'/;
    expect(readFileSync(join(SOURCE, 'application.ts'), 'utf8')).not.toMatch(nodeNetworking);
    const serverImportsApplication = files
      .filter((file) => file.startsWith('server/'))
      .filter((file) => graph.get(file)!.includes('application.ts'));
    expect(serverImportsApplication).toEqual([]);
  });
});
