// Type-checks every ```ts block of the READMEs, as a strict CommonJS TypeScript project would compile
// it (an ES module for a package that is one) (the tsconfig startproject writes: no top-level await, decorators on), against the packages'
// sources. Each block is its own module; names a fragment uses without defining them (an `app`, a
// `client`, a core export it didn't import) come from snippets/prelude.d.ts. Errors are reported at
// their README line. A block's relative imports resolve from its README's folder.
//   node scripts/check-readme-snippets.mjs [README.md...]   (part of npm run typecheck; default: every README)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/websocket/README.md',
  'packages/testing/README.md',
  'packages/client/README.md',
  'examples/blog/README.md',
];
// Inside node_modules/.cache: ignored by git, eslint, prettier and jest alike.
const out = join(root, 'node_modules', '.cache', 'readme-snippets');
const READMES =
  process.argv.length > 2
    ? process.argv.slice(2).map((file) => relative(root, resolve(file)))
    : DEFAULT_READMES;
const prelude = join(root, 'scripts', 'snippets', 'prelude.d.ts');

/** The ```ts blocks of `markdown`, each with the line its code starts on. */
function blocks(markdown) {
  const found = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index])) continue;
    const start = index + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    found.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    index = end;
  }
  return found;
}

/** Whether the package.json beside `readme` says `"type": "module"`. */
function isModulePackage(readme) {
  try {
    return JSON.parse(readFileSync(join(root, dirname(readme), 'package.json'), 'utf8')).type === 'module';
  } catch {
    return false;
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const origins = new Map();
for (const readme of READMES) {
  for (const [index, block] of blocks(readFileSync(join(root, readme), 'utf8')).entries()) {
    // Beside its README (virtually, through rootDirs), so `./src/app` in the blog's README resolves.
    // A README of an ES-module package ("type": "module") is read by ES-module code: `.mts`.
    const file = join(out, dirname(readme), `README_${index + 1}.${isModulePackage(readme) ? 'mts' : 'ts'}`);
    mkdirSync(dirname(file), { recursive: true });
    // `export {}` makes the block a module of its own, so blocks never clash with each other.
    writeFileSync(file, `${block.code}\nexport {};\n`);
    origins.set(file, { readme, line: block.line });
  }
}

const options = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  strict: true,
  noEmit: true,
  esModuleInterop: true,
  skipLibCheck: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  types: ['node', 'jest'],
  typeRoots: [join(root, 'node_modules', '@types')],
  baseUrl: root,
  rootDirs: [out, root],
  paths: {
    '@manouche/core': ['packages/core/src/index.ts'],
    '@manouche/websocket': ['packages/websocket/src/index.ts'],
    '@manouche/testing': ['packages/testing/src/index.ts'],
    '@manouche/client': ['packages/client/src/index.ts'],
  },
};
const program = ts.createProgram([...origins.keys(), prelude], options);
const diagnostics = ts
  .getPreEmitDiagnostics(program)
  .filter(
    (diagnostic) =>
      diagnostic.file === undefined ||
      origins.has(diagnostic.file.fileName) ||
      diagnostic.file.fileName === prelude,
  );

for (const diagnostic of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const origin = diagnostic.file && origins.get(diagnostic.file.fileName);
  if (diagnostic.file && origin && diagnostic.start !== undefined) {
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    console.error(`${origin.readme}:${origin.line + line}:${character + 1} TS${diagnostic.code}: ${message}`);
  } else {
    const where = diagnostic.file ? relative(root, diagnostic.file.fileName) : 'options';
    console.error(`${where}: TS${diagnostic.code}: ${message}`);
  }
}
if (diagnostics.length > 0) {
  console.error(`\n${diagnostics.length} error(s) in the README snippets.`);
  process.exit(1);
}
console.log(`README snippets: ${origins.size} TypeScript blocks type-check.`);
