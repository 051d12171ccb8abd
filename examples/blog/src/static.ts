import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import {
  Http404,
  HttpResponse,
  HttpResponseNotAllowed,
  HttpResponseNotModified,
  type HttpRequest,
  type ViewFunction,
} from '@manouche/core';

/** The blog's static files: `examples/blog/static`, next to `src` and `dist`. */
export const STATIC_ROOT = resolve(__dirname, '..', 'static');

/** `@manouche/client`'s build (`dist/`), an ES module the post page imports. */
export const CLIENT_ROOT = join(dirname(require.resolve('@manouche/client/package.json')), 'dist');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Django's `django.views.static.serve`, for `path('static/<path:file>', serveStatic())`: files under
 * `root` only (no `..`, no absolute paths, no hidden files), a content type from the extension, an
 * `ETag` and `304` for a matching `If-None-Match`. GET and HEAD only.
 */
export function serveStatic(root: string = STATIC_ROOT): ViewFunction<{ file: string }> {
  const base = resolve(root);
  return async (request: HttpRequest, { file }) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new HttpResponseNotAllowed(['GET', 'HEAD']);
    const target = resolveInside(base, file);
    if (target === null) throw new Http404(`"${file}" does not exist`);
    const info = await stat(target).catch(() => null);
    if (info === null || !info.isFile()) throw new Http404(`"${file}" does not exist`);
    const content = await readFile(target);
    const etag = `"${createHash('sha1').update(content).digest('base64url').slice(0, 27)}"`;
    if (request.headers.get('if-none-match') === etag) {
      const notModified = new HttpResponseNotModified();
      notModified.headers.set('ETag', etag);
      return notModified;
    }
    const type = CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream';
    // Node's server leaves the body out of a HEAD answer but keeps its Content-Length.
    return new HttpResponse(content, {
      contentType: type,
      headers: { ETag: etag, 'Cache-Control': 'no-cache', 'Last-Modified': info.mtime.toUTCString() },
    });
  };
}

/** `file` resolved under `base`, or `null` when it would leave it (or names a hidden file). */
export function resolveInside(base: string, file: string): string | null {
  if (file.includes('\0') || file.includes('\\') || isAbsolute(file)) return null;
  const segments = file.split('/');
  if (segments.some((segment) => segment === '..' || segment.startsWith('.'))) return null;
  const target = resolve(join(base, file));
  const rel = relative(base, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return null;
  return target;
}
