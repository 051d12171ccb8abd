import { createServer, type Server } from 'node:net';
import { CliProcess, STARTED, TempProject } from './support/cli';

/** A settings module whose home page answers with the text exported by `message.js`. */
const SETTINGS = `const { path, HttpResponse } = require('@manouche/core');
module.exports = {
  ROOT_URLCONF: [path('', () => new HttpResponse(require('./message.js')))],
};
`;

function message(text: string): string {
  return `module.exports = ${JSON.stringify(text)};\n`;
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  return response.text();
}

describe('manouche runserver', () => {
  let project: TempProject;
  let server: CliProcess | null = null;

  beforeEach(() => {
    project = new TempProject({ 'settings.js': SETTINGS, 'message.js': message('first version') });
  });

  afterEach(async () => {
    await server?.dispose();
    server = null;
    project.remove();
  });

  function start(...args: string[]): CliProcess {
    server = new CliProcess(['runserver', ...args, '--settings', project.path('settings.js')]);
    return server;
  }

  it('runs the checks, prints the banner, serves the application and exits 0 on SIGTERM', async () => {
    const running = start('0');
    const [, url] = await running.waitForOutput(STARTED);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(running.stdout).toMatch(
      /^Performing system checks\.\.\.\n\nSystem check identified no issues \(0 silenced\)\.\n.+\nManouche version \d+\.\d+\.\d+, using settings '.+settings\.js'\nStarting development server at http:\/\/127\.0\.0\.1:\d+\/\nQuit the server with CONTROL-C\.\n$/,
    );
    expect(await fetchText(url!)).toBe('first version');
    expect(await running.stop('SIGTERM')).toBe(0);
  });

  it('exits 0 on SIGINT (CONTROL-C)', async () => {
    const running = start('127.0.0.1:0');
    await running.waitForOutput(STARTED);
    expect(await running.stop('SIGINT')).toBe(0);
  });

  it('refuses to start, exiting 1, when a system check finds an error', async () => {
    project.write(
      'settings.js',
      SETTINGS.replace('module.exports = {', 'module.exports = { WEBSOCKET_ACCEPT_ALL: true,'),
    );
    const running = start('0');
    expect(await running.exited()).toBe(1);
    expect(running.stderr).toContain('?: (manouche.E002)');
    expect(running.stdout).not.toContain('Starting development server');
  });

  it('starts despite warnings, printing them first', async () => {
    project.write('settings.js', SETTINGS.replace('module.exports = {', 'module.exports = { DEBUGG: true,'));
    const running = start('0');
    await running.waitForOutput(STARTED);
    expect(running.stderr).toContain('Unknown setting DEBUGG; did you mean DEBUG?');
  });

  it('exits 1 saying so when the port is already in use', async () => {
    const occupied: Server = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    const { port } = occupied.address() as { port: number };
    try {
      const running = start(String(port));
      expect(await running.exited()).toBe(1);
      expect(running.stderr).toBe('Error: That port is already in use.\n');
    } finally {
      await new Promise((resolve) => occupied.close(resolve));
    }
  });

  it('exits 2 on an address that is neither a port nor host:port', async () => {
    const running = start('localhost:http');
    expect(await running.exited()).toBe(2);
    expect(running.stderr).toBe('Error: "localhost:http" is not a valid port number or address:port pair.\n');
  });

  describe('--reload', () => {
    it('restarts the server when a file under the settings directory changes, and exits 0 on SIGTERM', async () => {
      const running = start('0', '--reload');
      const [, first] = await running.waitForOutput(STARTED);
      expect(running.stdout).toContain(`Watching for file changes in ${project.dir}`);
      expect(await fetchText(first!)).toBe('first version');

      project.write('message.js', message('second version'));
      const [, second] = await running.waitForOutput(STARTED, 2, 15_000);
      expect(running.stdout).toContain(`${project.path('message.js')} changed, reloading.`);
      expect(await fetchText(second!)).toBe('second version');

      expect(await running.stop('SIGTERM')).toBe(0);
    }, 30_000);

    it('watches subdirectories and keeps watching after a server that fails to start', async () => {
      project.write('views/text.js', message('from a subdirectory'));
      project.write('message.js', "module.exports = require('./views/text.js');\n");
      const running = start('0', '--reload');
      await running.waitForOutput(STARTED);

      project.write('settings.js', 'this is not javascript');
      await running.waitForError(
        /Cannot load the settings module[^]*waiting for a file change to restart it/,
        1,
        15_000,
      );

      project.write('settings.js', SETTINGS);
      project.write('views/text.js', message('fixed'));
      const matches = await running.waitForOutput(STARTED, 2, 15_000);
      expect(await fetchText(matches[1]!)).toBe('fixed');
      expect(await running.stop('SIGTERM')).toBe(0);
    }, 45_000);
  });
});
