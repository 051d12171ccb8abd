import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Application } from '@manouche/core';
import { LiveServer } from '@manouche/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { blogOf, closeBlogApp } from '../src/app';
import { makeApp, SETTINGS } from './helpers';

// The blog in a real browser: headless Chromium (Debian's package) driven by playwright-core.
const CHROMIUM = '/usr/bin/chromium';
const DOCS = join(__dirname, '..', 'docs');

/**
 * Where a screenshot goes: `docs/` (committed, shown in the README) when it is missing there or when
 * `UPDATE_SCREENSHOTS=1`; otherwise a temporary folder, so a test run leaves the work tree clean.
 */
function screenshotPath(file: string): string {
  const committed = join(DOCS, file);
  if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(committed)) {
    mkdirSync(DOCS, { recursive: true });
    return committed;
  }
  return join(mkdtempSync(join(tmpdir(), 'manouche-blog-shots-')), file);
}

jest.setTimeout(60_000);

/** Replaces `window.WebSocket` with one that never connects, as a proxy that blocks upgrades would. */
const BLOCK_WEBSOCKETS = `
  window.WebSocket = class BlockedWebSocket extends EventTarget {
    constructor(url) {
      super();
      this.url = String(url);
      this.readyState = 0;
      this.onopen = this.onmessage = this.onerror = this.onclose = null;
      setTimeout(() => {
        this.readyState = 3;
        const error = new Event('error');
        this.dispatchEvent(error);
        if (this.onerror) this.onerror(error);
        const close = new CloseEvent('close', { code: 1006, wasClean: false });
        this.dispatchEvent(close);
        if (this.onclose) this.onclose(close);
      }, 0);
    }
    send() { throw new DOMException('not open', 'InvalidStateError'); }
    close() {}
  };
  window.WebSocket.CONNECTING = 0; window.WebSocket.OPEN = 1;
  window.WebSocket.CLOSING = 2; window.WebSocket.CLOSED = 3;
`;

/** A browser without WebSocket, as some old or locked-down clients are. */
const NO_WEBSOCKET = 'delete window.WebSocket;';
/** ...and without EventSource either: only plain HTTP requests are left. */
const NO_EVENTSOURCE = 'delete window.WebSocket; delete window.EventSource;';

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install it with "apt-get update && apt-get install -y chromium"`,
    );
  }
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
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe.each(SETTINGS)('the blog in Chromium with %s', (name, base) => {
  const takeScreenshots = !name.startsWith('settings-legacy');
  let app: Application;
  let server: LiveServer;
  const contexts: BrowserContext[] = [];

  async function openPost(
    postId: number,
    options: { initScript?: string; baseUrl?: string } = {},
  ): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
    contexts.push(context);
    if (options.initScript !== undefined) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    await page.goto(`${options.baseUrl ?? server.url}/posts/${postId}/`);
    return page;
  }

  /** The ids of the comments the page shows, in order. */
  function shownIds(page: Page): Promise<string[]> {
    return page
      .locator('#comments li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-id') ?? ''));
  }

  async function addComment(page: Page, text: string): Promise<void> {
    await page.fill('#comment-body', text);
    await page.click('#comment-submit');
  }

  beforeAll(async () => {
    app = makeApp(base);
    server = new LiveServer(app);
    await server.start();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await server.stop();
    blogOf(app).close();
  });

  it('shows the post list', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
    contexts.push(context);
    const page = await context.newPage();
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    expect(await page.locator('#posts li').count()).toBe(5);
    expect(await page.locator('#posts li h2').first().textContent()).toBe('Nuages');
    await page.click('a[rel="next"]');
    await page.waitForURL(/\?page=2$/);
    expect(await page.locator('#posts li').count()).toBe(2);
    await page.click('a[rel="prev"]');
    await page.waitForURL(/\?page=1$/);
    if (takeScreenshots) await page.screenshot({ path: screenshotPath('list.png'), fullPage: true });
  });

  it('pushes a comment to another reader within 1 s over WebSocket', async () => {
    const writer = await openPost(1);
    const reader = await openPost(1);
    for (const page of [writer, reader]) {
      await page.locator('#connection-state[data-state="open"]').waitFor({ timeout: 5000 });
      expect(await page.textContent('#connection-state')).toBe('open (websocket)');
    }
    expect(await reader.getAttribute('#connection-state', 'data-transport')).toBe('websocket');

    await addComment(writer, 'Live from the first window');
    // The writer sees its own comment (from the POST's answer) and the reader gets it pushed.
    await writer
      .locator('#comments li', { hasText: 'Live from the first window' })
      .waitFor({ timeout: 5000 });
    await reader
      .locator('#comments li', { hasText: 'Live from the first window' })
      .waitFor({ timeout: 1000 });
    expect(await reader.locator('#comments li').count()).toBe(2);
    expect(await reader.getAttribute('#connection-state', 'data-transport')).toBe('websocket');

    // The chat: both readers are online, and a message reaches the other one.
    await reader.locator('#chat-presence li').nth(1).waitFor({ timeout: 5000 });
    expect(await reader.locator('#chat-presence li').allTextContents()).toHaveLength(2);
    await reader.fill('#chat-input', 'Anyone listening to Nuages?');
    await reader.press('#chat-input', 'Enter');
    await writer
      .locator('#chat-messages li', { hasText: 'Anyone listening to Nuages?' })
      .waitFor({ timeout: 5000 });

    if (takeScreenshots)
      await reader.screenshot({ path: screenshotPath('live-comments.png'), fullPage: true });
  });

  it.each([
    ['a WebSocket that cannot open (a proxy strips Upgrade)', 'sse', BLOCK_WEBSOCKETS, 2],
    ['no WebSocket in the page', 'sse', NO_WEBSOCKET, 5],
    ['neither WebSocket nor EventSource in the page', 'longpoll', NO_EVENTSOURCE, 6],
  ])('gets live comments and the chat with %s, over %s', async (_what, transport, initScript, postId) => {
    const writer = await openPost(postId, { initScript });
    const reader = await openPost(postId, { initScript });
    for (const page of [writer, reader]) {
      await page
        .locator(`#connection-state[data-state="open"][data-transport="${transport}"]`)
        .waitFor({ timeout: 15_000 });
      expect(await page.textContent('#connection-state')).toBe(`open (${transport})`);
    }
    await addComment(writer, `Pushed over ${transport}`);
    await reader.locator('#comments li', { hasText: `Pushed over ${transport}` }).waitFor({ timeout: 5000 });
    expect(await reader.locator('#comments li').count()).toBe(1);

    // The chat's messages go up as POSTs (with the CSRF token) and come down the same transport.
    await reader.locator('#chat-presence li').nth(1).waitFor({ timeout: 5000 });
    await reader.fill('#chat-input', `Chatting over ${transport}`);
    await reader.press('#chat-input', 'Enter');
    await writer
      .locator('#chat-messages li', { hasText: `Chatting over ${transport}` })
      .waitFor({ timeout: 5000 });
  });

  it.each([
    ['websocket', undefined],
    ['sse', NO_WEBSOCKET],
    ['longpoll', NO_EVENTSOURCE],
  ])(
    'over %s, loses and repeats no comment when the server restarts mid-stream',
    async (transport, initScript) => {
      const directory = mkdtempSync(join(tmpdir(), 'manouche-blog-restart-'));
      const database = join(directory, 'blog.sqlite3');
      let live = makeApp(base, { BLOG_DATABASE: database });
      const listening = await live.listen(0, '127.0.0.1');
      const port = (listening.address() as AddressInfo).port;
      const baseUrl = `http://127.0.0.1:${port}`;
      const add = (app: Application, body: string): number => {
        const comment = blogOf(app).models.createComment({ postId: 3, author: 'restart', body });
        blogOf(app).comments.publish(comment);
        return comment.id;
      };
      try {
        const page = await openPost(3, { initScript, baseUrl });
        const open = `#connection-state[data-state="open"][data-transport="${transport}"]`;
        await page.locator(open).waitFor({ timeout: 15_000 });
        const before = await shownIds(page);
        const first = add(live, 'before the restart');
        await page.locator(`#comment-${first}`).waitFor({ timeout: 5000 });

        await closeBlogApp(live);
        await page.locator('#connection-state[data-state="connecting"]').waitFor({ timeout: 15_000 });
        live = makeApp(base, { BLOG_DATABASE: database });
        const missed = add(live, 'while the page was away'); // no one to push it to
        await live.listen(port, '127.0.0.1');
        await page.locator(open).waitFor({ timeout: 20_000 });
        await page.locator(`#comment-${missed}`).waitFor({ timeout: 5000 });
        const after = add(live, 'after the restart');
        await page.locator(`#comment-${after}`).waitFor({ timeout: 5000 });

        expect(await shownIds(page)).toEqual([...before, String(first), String(missed), String(after)]);
      } finally {
        await closeBlogApp(live).catch(() => undefined);
        rmSync(directory, { recursive: true, force: true });
      }
    },
  );

  it('posts the comment form without JavaScript too (CSRF field)', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/posts/3/`);
    await page.fill('#comment-author', 'no-js');
    await page.fill('#comment-body', 'A plain form POST');
    await Promise.all([page.waitForURL(/\/posts\/3\/#comment-\d+$/), page.click('#comment-submit')]);
    expect(await page.locator('#comments li', { hasText: 'A plain form POST' }).count()).toBe(1);
  });

  it('logs in, writes a post and logs out, each step saying so once', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/posts/new/`);
    await page.waitForURL(/\/login\/\?next=\/posts\/new\/$/);
    await page.fill('input[name="username"]', 'admin');
    await page.fill('input[name="password"]', 'manouche');
    await Promise.all([page.waitForURL(/\/posts\/new\/$/), page.click('#login-form button')]);
    expect(await page.textContent('#messages')).toContain('Welcome back, admin.');
    await page.fill('input[name="title"]', 'Written in Chromium');
    await page.fill('textarea[name="body"]', 'Through the form, with its CSRF token.');
    await Promise.all([page.waitForURL(/\/posts\/8\/$/), page.click('#post-form button')]);
    expect(await page.textContent('h1')).toBe('Written in Chromium');
    expect(await page.textContent('#messages')).toContain('Post published.');
    expect(await page.textContent('#current-user')).toBe('admin');
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('button.link')]);
    expect(await page.locator('#current-user').count()).toBe(0);
    expect(await page.textContent('#messages')).toContain('You are logged out.');
    await page.reload();
    expect(await page.locator('#messages').count()).toBe(0);
  });
});
