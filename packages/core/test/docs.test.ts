import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// A user who clones the repository has only the repository: the documentation and the sources must
// not send them to files that live outside it (the design folder beside the clone, its API document).
const root = join(__dirname, '..', '..', '..');
// Assembled, so that this file itself names none of them.
const SHARED = ['shared', 'design'];
const FORBIDDEN = [SHARED.join('/'), `../${SHARED[0]}`, ['API', 'md'].join('.')];

/** This file names the forbidden strings on purpose. */
const SELF = relative(root, __filename).split(sep).join('/');

function isChecked(file: string): boolean {
  if (file === 'README.md') return true;
  return /^(packages|examples)\//.test(file) && /\.(md|ts)$/.test(file);
}

/** The tracked files, from git; without a git checkout, every file but dependencies and builds. */
function repositoryFiles(): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
    // A file deleted but not yet staged is still listed: only what is on disk is read.
    return listed.split('\0').filter((file) => file !== '' && existsSync(join(root, file)));
  } catch {
    return walk(root);
  }
}

function walk(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.git'].includes(entry.name)) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...walk(path));
    else if (entry.isFile()) files.push(relative(root, path).split(sep).join('/'));
  }
  return files;
}

describe('the documentation stands alone', () => {
  const files = repositoryFiles().filter(isChecked);

  it('checks the READMEs and the sources', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'packages/core/README.md',
        'packages/websocket/README.md',
        'packages/testing/README.md',
        'examples/blog/README.md',
        'packages/core/src/index.ts',
      ]),
    );
  });

  it('never mentions the design folder beside the clone or its API document', () => {
    const mentions: string[] = [];
    for (const file of files) {
      if (file === SELF) continue;
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const forbidden of FORBIDDEN) {
          if (line.includes(forbidden)) mentions.push(`${file}:${index + 1}: ${forbidden}`);
        }
      });
    }
    expect(mentions).toEqual([]);
  });
});
