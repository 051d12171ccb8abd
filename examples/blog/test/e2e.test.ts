import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Application } from '@manouche/core';
import { LiveServer } from '@manouche/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { blogOf } from '../src/app';
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

  async function openPost(postId: number, options: { blockWebSockets?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
    contexts.push(context);
    if (options.blockWebSockets) await context.addInitScript(BLOCK_WEBSOCKETS);
    const page = await context.newPage();
    await page.goto(`${server.url}/posts/${postId}/`);
    return page;
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
      expect(await page.textContent('#connection-state')).toBe('open');
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

  it('falls back to polling ?since= when the WebSocket cannot open', async () => {
    const writer = await openPost(2, { blockWebSockets: true });
    const reader = await openPost(2, { blockWebSockets: true });
    for (const page of [writer, reader]) {
      await page
        .locator('#connection-state[data-state="closed"][data-transport="polling"]')
        .waitFor({ timeout: 5000 });
    }
    expect(blogOf(app).comments.count(2)).toBe(0);

    await addComment(writer, 'Polled, not pushed');
    await reader.locator('#comments li', { hasText: 'Polled, not pushed' }).waitFor({ timeout: 5000 });
    expect(await reader.locator('#comments li').count()).toBe(1);
    expect(await reader.textContent('#connection-state')).toBe('closed (polling every 500 ms)');
    expect(blogOf(app).comments.count(2)).toBe(0);
  });

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
