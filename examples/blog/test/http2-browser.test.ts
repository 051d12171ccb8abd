import { existsSync } from 'node:fs';
import {
  createSelfSignedCertificate,
  MiddlewareMixin,
  type Application,
  type HttpRequest,
} from '@manouche/core';
import { LiveServer } from '@manouche/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { blogOf } from '../src/app';
import { BLOG_MIDDLEWARE, settings as modern } from '../src/settings';
import { makeApp } from './helpers';

// The blog over HTTPS + HTTP/2 in Debian's Chromium: the page's live WebSocket must come as an
// RFC 8441 extended CONNECT on the page's own connection, not as a second TCP + TLS connection.
const CHROMIUM = '/usr/bin/chromium';

jest.setTimeout(60_000);

/** What the server saw of each request: how it came, and whether it asked for a WebSocket. */
interface Arrival {
  path: string;
  protocol: string;
  websocket: boolean;
  transport: 'http/1.1' | 'h2' | null;
}

const arrivals: Arrival[] = [];

/** First in the stack: notes how every request arrived, before anything can answer it. */
class ArrivalRecorder extends MiddlewareMixin {
  override processRequest(request: HttpRequest): null {
    arrivals.push({
      path: request.path,
      protocol: request.META.SERVER_PROTOCOL!,
      websocket: request.isWebsocket(),
      transport: request.upgrade === null ? null : (request.upgrade.transport ?? 'http/1.1'),
    });
    return null;
  }
}

let browser: Browser;
let app: Application;
let server: LiveServer;
let connections = 0;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install it with "apt-get update && apt-get install -y chromium"`,
    );
  app = makeApp(modern, { MIDDLEWARE: [ArrivalRecorder, ...BLOG_MIDDLEWARE] });
  server = new LiveServer(app, { tls: createSelfSignedCertificate(), http2: true });
  await server.start();
  app.server!.on('connection', () => (connections += 1));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--ignore-certificate-errors',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (app !== undefined) blogOf(app).close();
});

async function openPost(postId: number): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`${server.url}/posts/${postId}/`);
  await page.locator('#connection-state[data-state="open"]').waitFor({ timeout: 10_000 });
  return page;
}

describe('the blog over HTTPS + HTTP/2 in Chromium', () => {
  it("opens the page's WebSocket as an extended CONNECT on the page's own connection, and gets pushes", async () => {
    const reader = await openPost(1);
    expect(server.url).toMatch(/^https:\/\//);
    const page = arrivals.find((arrival) => arrival.path === '/posts/1/' && !arrival.websocket);
    expect(page?.protocol).toBe('HTTP/2.0');
    const socket = arrivals.find((arrival) => arrival.websocket);
    expect(socket).toMatchObject({ path: '/posts/1/comments/', protocol: 'HTTP/2.0', transport: 'h2' });
    // The page, its assets and its WebSocket: one TCP (and TLS) connection in all.
    expect(connections).toBe(1);
    expect(await reader.getAttribute('#connection-state', 'data-transport')).toBe('websocket');

    const writer = await openPost(1);
    await writer.fill('#comment-body', 'Pushed over an HTTP/2 stream');
    await writer.click('#comment-submit');
    await reader
      .locator('#comments li', { hasText: 'Pushed over an HTTP/2 stream' })
      .waitFor({ timeout: 5000 });
    expect(
      arrivals.filter((arrival) => arrival.websocket).every((arrival) => arrival.transport === 'h2'),
    ).toBe(true);
  });
});
