// Manouche with Django's default middleware, in Django's order (startproject's list), serving the
// realistic-stack scenarios: GET / (hello), GET /login/ (starts a session, hands out a CSRF token;
// the harness calls it once), GET /session/ (reads the session) and POST /submit/ (reached only when
// CsrfViewMiddleware accepted the token). Sessions live in memory (MemorySessionStore, the default).
import './cpu-probe.mjs';
import {
  AuthenticationMiddleware,
  CommonMiddleware,
  createApp,
  CsrfViewMiddleware,
  getToken,
  HttpResponse,
  JsonResponse,
  MessageMiddleware,
  path,
  SecurityMiddleware,
  SessionMiddleware,
  XFrameOptionsMiddleware,
} from '@manouche/core';

const text = (body) => new HttpResponse(body, { contentType: 'text/plain; charset=utf-8' });

const app = createApp({
  SECRET_KEY: 'manouche-bench-not-a-secret-manouche-bench-not-a-secret',
  ALLOWED_HOSTS: ['127.0.0.1', 'localhost'],
  MIDDLEWARE: [
    SecurityMiddleware,
    SessionMiddleware,
    CommonMiddleware,
    CsrfViewMiddleware,
    AuthenticationMiddleware,
    MessageMiddleware,
    XFrameOptionsMiddleware,
  ],
  ROOT_URLCONF: [
    path('', () => text('Hello, world')),
    path('login/', (request) => {
      request.session.set('user', 'bench');
      return new JsonResponse({ csrfToken: getToken(request) });
    }),
    path('session/', (request) => text(`Hello, ${request.session.get('user', 'stranger')}`)),
    path('submit/', (request) => text(`Got ${(request.POST.get('text') ?? '').length} characters`)),
  ],
  LOGGER: { info() {}, warn: (line) => process.stderr.write(`${line}\n`), error: console.error },
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
