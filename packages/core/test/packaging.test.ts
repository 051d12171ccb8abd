import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// What a user of the published packages does: plain Node, no TypeScript loader, against `dist/`
// (`npm test` runs `npm run build` first).
const root = join(__dirname, '..', '..', '..');
const packages = [
  { name: '@manouche/core', exported: 'createApp' },
  { name: '@manouche/websocket', exported: 'acceptWebsocket' },
  { name: '@manouche/testing', exported: 'Client' },
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
