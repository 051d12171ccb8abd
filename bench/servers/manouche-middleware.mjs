// Manouche answering GET / "Hello, world" through the middleware named in MIDDLEWARE_NAMES (a comma-
// separated list of @manouche/core exports, in order): what each of Django's default middleware
// costs on its own (bash bench/instructions.sh mw:SecurityMiddleware,XFrameOptionsMiddleware).
import './cpu-probe.mjs';
import * as core from '@manouche/core';

const names = (process.env.MIDDLEWARE_NAMES ?? '').split(',').filter(Boolean);
const app = core.createApp({
  SECRET_KEY: 'manouche-bench-not-a-secret-manouche-bench-not-a-secret',
  ALLOWED_HOSTS: ['127.0.0.1', 'localhost'],
  MIDDLEWARE: names.map((name) => core[name]),
  ROOT_URLCONF: [
    core.path('', () => new core.HttpResponse('Hello, world', { contentType: 'text/plain; charset=utf-8' })),
  ],
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
