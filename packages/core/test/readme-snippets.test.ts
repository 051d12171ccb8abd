import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { TempProject } from './support/cli';

// The README snippets are type-checked by `npm run typecheck` (scripts/check-readme-snippets.mjs);
// this checks the checker: a broken snippet fails it, pointing at the README line.
const root = join(__dirname, '..', '..', '..');
const SCRIPT = join(root, 'scripts', 'check-readme-snippets.mjs');

function check(readme: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [SCRIPT, readme], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code), output: stdout + stderr }),
    ),
  );
}

describe('the README snippet check', () => {
  let project: TempProject;

  beforeEach(() => {
    project = new TempProject();
  });

  afterEach(() => project.remove());

  it('fails on a snippet that does not compile as strict CommonJS, naming the README line', async () => {
    const readme = project.write(
      'README.md',
      [
        '# A package',
        '',
        '```ts',
        "import { createApp, path, HttpResponse } from '@manouche/core';",
        "const app = createApp({ ROOT_URLCONF: [path('', () => new HttpResponse('ok'))] });",
        'await app.listen(8000);',
        "path('posts/<int:id>/', (request, { slug }) => new HttpResponse(slug));",
        '```',
        '',
        '```sh',
        'not TypeScript, not checked',
        '```',
      ].join('\n'),
    );
    const result = await check(readme);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      `README.md:6:1 TS1309: The current file is a CommonJS module and cannot use 'await'`,
    );
    expect(result.output).toMatch(/README\.md:7:\d+ TS2339: Property 'slug' does not exist/);
  }, 60_000);

  it('passes a snippet that compiles', async () => {
    const readme = project.write(
      'README.md',
      "```ts\nimport { HttpResponse } from '@manouche/core';\nexport const hello = new HttpResponse('hi');\n```\n",
    );
    expect(await check(readme)).toMatchObject({ code: 0 });
  }, 60_000);
});
