import {
  HttpResponse,
  include,
  NoReverseMatch,
  NunjucksTemplates,
  path,
  redirect,
  render,
  resolveUrl,
  type Template,
} from '@manouche/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Django's django.shortcuts, over a real socket.

const dir = mkdtempSync(join(tmpdir(), 'manouche-shortcuts-'));
let served: Served;

class Post {
  constructor(readonly id: number) {}
  getAbsoluteUrl(): string {
    return `/posts/${this.id}/`;
  }
}

const inline: Template = { render: (context) => `inline ${String(context.word)}` };

beforeAll(async () => {
  writeFileSync(join(dir, 'hello.html'), 'Hello, {{ name }} at {{ request.path }}');
  served = await serve({
    TEMPLATES: [{ BACKEND: NunjucksTemplates, DIRS: [dir] }],
    ROOT_URLCONF: [
      path('hello/', (request) => render(request, 'hello.html', { name: 'Ada' })),
      path('created/', (request) => render(request, inline, { word: 'made' }, { status: 201 })),
      path('posts/<int:id>/', () => new HttpResponse('post'), { name: 'post-detail' }),
      include('blog/', [path('', () => new HttpResponse('blog'), { name: 'index' })], { namespace: 'blog' }),
      path('to-name/', () => redirect('post-detail', { id: 7 })),
      path('to-namespaced/', () => redirect('blog:index')),
      path('to-object/', () => redirect(new Post(3))),
      path('to-url/', () => redirect('https://example.com/elsewhere', {}, { permanent: true })),
    ],
  });
});
afterAll(async () => {
  await served.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('render()', () => {
  it('renders a template by name with the context and the request, into a plain response', async () => {
    const response = await httpRequest(`${served.url}/hello/`);
    expect(response.status).toBe(200);
    expect(response.text).toBe('Hello, Ada at /hello/');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('takes a template object and the response options', async () => {
    const response = await httpRequest(`${served.url}/created/`);
    expect(response.status).toBe(201);
    expect(response.text).toBe('inline made');
  });
});

describe('redirect()', () => {
  it.each([
    ['a URL name with parameters', '/to-name/', 302, '/posts/7/'],
    ['a namespaced URL name', '/to-namespaced/', 302, '/blog/'],
    ['an object with getAbsoluteUrl()', '/to-object/', 302, '/posts/3/'],
    ['a URL, permanently', '/to-url/', 301, 'https://example.com/elsewhere'],
  ])('redirects to %s', async (_label, from, status, location) => {
    const response = await httpRequest(`${served.url}${from}`);
    expect(response.status).toBe(status);
    expect(response.headers.location).toBe(location);
  });
});

describe('resolveUrl()', () => {
  it('keeps relative URLs and URLs that are no URL name', () => {
    expect(resolveUrl('./next/')).toBe('./next/');
    expect(resolveUrl('../up/')).toBe('../up/');
    expect(resolveUrl('/not-a-name/')).toBe('/not-a-name/');
    expect(resolveUrl('example.com')).toBe('example.com');
  });

  it('throws NoReverseMatch for a word that is neither a URL name nor a URL', () => {
    expect(() => resolveUrl('no-such-name')).toThrow(NoReverseMatch);
  });
});
