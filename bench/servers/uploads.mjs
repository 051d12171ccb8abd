// A Manouche application that takes uploads, for bench/incomplete-uploads.mjs: it reports its memory,
// open connections and refusals when the harness sends 'memory'; the timeout comes from the
// environment.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, JsonResponse, path } from '@manouche/core';

const directory = mkdtempSync(join(tmpdir(), 'manouche-bench-uploads-'));
const refusals = new Map();
const count = (message) => {
  const label = message.split(':', 1)[0];
  refusals.set(label, (refusals.get(label) ?? 0) + 1);
};
const app = createApp({
  ROOT_URLCONF: [path('upload/', (request) => new JsonResponse({ files: request.FILES.size }))],
  REQUEST_TIMEOUT: Number(process.env.REQUEST_TIMEOUT),
  REQUEST_HEADERS_TIMEOUT: Math.min(20_000, Number(process.env.REQUEST_TIMEOUT)),
  FILE_UPLOAD_TEMP_DIR: directory,
  LOGGER: { info() {}, warn: count, error: console.error },
});
const server = await app.listen(Number(process.env.PORT));
process.on('message', (message) => {
  if (message !== 'memory') return;
  globalThis.gc?.();
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  server.getConnections((_error, connections) =>
    process.send?.({ rss, heapUsed, arrayBuffers, connections, refusals: Object.fromEntries(refusals) }),
  );
});
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));
// The harness ends this process with a signal: exit normally so the directory goes.
process.on('SIGTERM', () => process.exit(0));
process.send?.({ directory });
