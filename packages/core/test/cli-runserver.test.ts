import { connect, createServer, type Server } from 'node:net';
import { WebSocketTestClient } from '@manouche/testing';
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

/** Sends `bytes` as they are (a Host that fetch() would not send) and resolves with the answer. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject).on('close', () => resolve(answer));
  });
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

  describe('request lines', () => {
    const LINE = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4} \d{2}:\d{2}:\d{2}\] `;

    it('prints a Django-style line per request on stderr: date, request line, status, size', async () => {
      const running = start('0');
      const [, url] = await running.waitForOutput(STARTED);
      await fetchText(url!);
      await fetchText(`${url}missing?q=1`);
      await running.waitForError(new RegExp(`^${LINE}"GET / HTTP/1\\.1" 200 13$`, 'm'));
      await running.waitForError(new RegExp(`^${LINE}"GET /missing\\?q=1 HTTP/1\\.1" 404 \\d+$`, 'm'));
      expect(running.stderr).toContain('Not Found: /missing');
    });

    it('prints a refused host, which never reaches the middleware, with its 400', async () => {
      const running = start('0');
      const [, url] = await running.waitForOutput(STARTED);
      const { port } = new URL(url!);
      await rawRequest(Number(port), 'GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
      await running.waitForError(new RegExp(`^${LINE}"GET / HTTP/1\\.1" 400 \\d+$`, 'm'));
    });

    it('prints a WebSocket handshake with its 101, and the close code when the connection ends', async () => {
      project.write(
        'settings.js',
        `const { path, HttpResponse } = require('@manouche/core');
const { acceptWebsocket, WebSocketMiddleware } = require('@manouche/websocket');
module.exports = {
  MIDDLEWARE: [WebSocketMiddleware],
  ROOT_URLCONF: [
    path('echo/', acceptWebsocket(async (request) => {
      for await (const message of request.websocket) await request.websocket.send(message);
    })),
    path('boom/', acceptWebsocket(() => { throw new Error('boom'); })),
    path('plain/', () => new HttpResponse('plain')),
  ],
};
`,
      );
      const running = start('0');
      const [, url] = await running.waitForOutput(STARTED);
      const wsUrl = url!.replace(/^http/, 'ws');

      const echo = new WebSocketTestClient(`${wsUrl}echo/`);
      expect(await echo.connect()).toMatchObject({ accepted: true });
      await running.waitForError(new RegExp(`^${LINE}"GET /echo/ HTTP/1\\.1" 101 0$`, 'm'));
      await echo.send('x'.repeat(70_000)); // a frame with a 64-bit length on its way back
      expect(await echo.receive()).toHaveLength(70_000);
      await echo.close(4001, 'bye');
      await running.waitForError(new RegExp(`^${LINE}"WebSocket /echo/" closed 4001$`, 'm'));

      const boom = new WebSocketTestClient(`${wsUrl}boom/`);
      await boom.connect();
      await boom.closed;
      await running.waitForError(new RegExp(`^${LINE}"WebSocket /boom/" closed 1011$`, 'm'));

      const refused = new WebSocketTestClient(`${wsUrl}plain/`);
      expect(await refused.connect()).toMatchObject({ accepted: false, status: 400 });
      await running.waitForError(new RegExp(`^${LINE}"GET /plain/ HTTP/1\\.1" 400 0$`, 'm'));
    });
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
