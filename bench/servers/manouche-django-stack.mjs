// Manouche with Django's default MIDDLEWARE from startproject, in Django's order: GET / reads the
// session; POST / is CSRF-checked. (A temporary profiling server; the harness's own comes with it.)
import './cpu-probe.mjs';
import {
  AuthenticationMiddleware,
  CommonMiddleware,
  CsrfViewMiddleware,
  createApp,
  HttpResponse,
  MessageMiddleware,
  path,
  SecurityMiddleware,
  SessionMiddleware,
  XFrameOptionsMiddleware,
} from '@manouche/core';

const app = createApp({
  SECRET_KEY: 'bench-secret-key-bench-secret-key-bench-secret-key',
  ALLOWED_HOSTS: ['127.0.0.1', 'localhost'],
  ROOT_URLCONF: [
    path('', (request) => {
      const visits = request.session.get('visits') ?? 0;
      return new HttpResponse(`Hello, visit ${visits}`, { contentType: 'text/plain; charset=utf-8' });
    }),
  ],
  MIDDLEWARE: [
    SecurityMiddleware,
    SessionMiddleware,
    CommonMiddleware,
    CsrfViewMiddleware,
    AuthenticationMiddleware,
    MessageMiddleware,
    XFrameOptionsMiddleware,
  ],
});
process.on('SIGINT', () => process.exit(0));
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
