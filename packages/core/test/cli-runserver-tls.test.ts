import { get as httpsGet } from 'node:https';
import { createSelfSignedCertificate } from '@manouche/core';
import { WebSocketTestClient } from '@manouche/testing';
import { CliProcess, TempProject } from './support/cli';
import { openSession, request } from './support/http2';

jest.setTimeout(30_000);

const SETTINGS = `const { path, HttpResponse } = require('@manouche/core');
const { acceptWebsocket } = require('@manouche/websocket');
module.exports = {
  ROOT_URLCONF: [
    path('', (request) => new HttpResponse(request.META.SERVER_PROTOCOL + ' ' + request.scheme)),
    path('ws/', acceptWebsocket(async (request) => { await request.websocket.send(request.websocket.transport); })),
  ],
};
`;

const STARTED_HTTPS = /Starting development server at (https:\/\/[^\s]+\/) \(HTTP\/2 and HTTP\/1\.1\)/;

function http1Text(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { rejectUnauthorized: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('manouche runserver --cert FILE --key FILE --http2', () => {
  let project: TempProject;
  let server: CliProcess | null = null;

  beforeEach(() => {
    const { cert, key } = createSelfSignedCertificate();
    project = new TempProject({ 'settings.js': SETTINGS, 'cert.pem': String(cert), 'key.pem': String(key) });
  });
  afterEach(async () => {
    await server?.dispose();
    server = null;
    project.remove();
  });

  it('serves HTTPS with HTTP/2 and HTTP/1.1 on one port, and exits 0 on SIGTERM', async () => {
    server = new CliProcess([
      'runserver',
      '0',
      '--cert',
      project.path('cert.pem'),
      '--key',
      project.path('key.pem'),
      '--http2',
      '--settings',
      project.path('settings.js'),
    ]);
    const [, url] = await server.waitForOutput(STARTED_HTTPS);
    const session = await openSession(url!.slice(0, -1));
    try {
      expect((await request(session, { ':path': '/' })).body).toBe('HTTP/2.0 https');
    } finally {
      session.close();
    }
    expect(await http1Text(url!)).toBe('HTTP/1.1 https');
    const ws = new WebSocketTestClient(`${url!.replace('https', 'wss')}ws/`, { http2: true });
    expect(await ws.connect()).toMatchObject({ accepted: true, status: 200 });
    expect(await ws.receive()).toBe('h2');
    expect((await ws.closed).code).toBe(1000);
    // Django's request lines, for HTTP/2 requests and WebSockets too.
    await server.waitForError(/"WebSocket \/ws\/" closed 1000/);
    expect(server.stderr).toMatch(/"GET \/ HTTP\/2\.0" 200 14\n/);
    expect(server.stderr).toMatch(/"GET \/ HTTP\/1\.1" 200 14\n/);
    expect(server.stderr).toMatch(/"CONNECT \/ws\/ HTTP\/2\.0" 200 0\n/);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('refuses --cert without --key with a usage error (exit 2)', async () => {
    server = new CliProcess([
      'runserver',
      '0',
      '--cert',
      project.path('cert.pem'),
      '--settings',
      project.path('settings.js'),
    ]);
    expect(await server.exited()).toBe(2);
    expect(server.stderr).toContain('--cert and --key go together');
  });
});
