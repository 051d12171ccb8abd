// A release rehearsal: everything `npm run release:version` and `npm publish` would do, without
// changing a file, a tag or the registry.
//   1. a clean build (no file compiled from a deleted source reaches a tarball);
//   2. lerna's view: the version in lerna.json and the packages changed since the last release tag;
//   3. CHANGELOG.md has an "Unreleased" section to become that release;
//   4. npm publish --dry-run of each public package: its tarball's files, as the registry would get them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const PACKAGES = ['packages/core', 'packages/websocket', 'packages/testing'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (command, args) =>
  execFileSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
const step = (title) => console.log(`\n== ${title}`);

step('installing the release tools (first use only)');
run(process.execPath, ['scripts/ensure-installed.mjs', 'release']);

step('clean build');
run(process.execPath, ['node_modules/typescript/bin/tsc', '-b', '--clean', ...PACKAGES, 'examples/blog']);
run(npm, ['run', 'build']);

step('what lerna would release');
const { version } = JSON.parse(readFileSync(join(root, 'lerna.json'), 'utf8'));
console.log(`lerna.json version: ${version} (fixed mode: every package moves together)`);
run(process.execPath, ['release/node_modules/lerna/dist/cli.js', 'changed']);

step('CHANGELOG.md');
const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
if (!/^## Unreleased$/m.test(changelog)) {
  console.error('CHANGELOG.md has no "## Unreleased" section for this release to take.');
  process.exit(1);
}
console.log('has an "## Unreleased" section');

step('npm publish --dry-run');
run(npm, ['publish', '--dry-run', ...PACKAGES.flatMap((path) => ['--workspace', path])]);
console.log('\nRelease dry run complete: nothing was changed, tagged or published.');
