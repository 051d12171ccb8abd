// Installs a tool folder's own dependencies (bench/, release/) from its lockfile, once: the root
// install stays free of what only benchmarks and releases need.
//   node scripts/ensure-installed.mjs <folder>
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const folder = resolve(process.argv[2] ?? '.');
const lockfile = join(folder, 'package-lock.json');
// npm writes this file at the end of an install: present and newer than the lockfile means done.
const installed = join(folder, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lockfile).mtimeMs) {
  console.error(`Installing ${folder}'s own dependencies (first use)...`);
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: folder,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
}
