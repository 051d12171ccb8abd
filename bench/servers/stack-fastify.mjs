// Fastify with the plugin equivalents of Django's default middleware, serving the same scenarios as
// stack-manouche.mjs: @fastify/helmet (SecurityMiddleware's headers and XFrameOptionsMiddleware's),
// @fastify/cookie + @fastify/session (SessionMiddleware, sessions in memory), @fastify/formbody (the
// form body Django parses for request.POST) and @fastify/csrf-protection checking every unsafe
// method, as CsrfViewMiddleware does, with its secret in a cookie as Django keeps it.
import './cpu-probe.mjs';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifySession from '@fastify/session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const app = Fastify({ logger: false });
await app.register(fastifyHelmet, { global: true });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: 'manouche-bench-not-a-secret-manouche-bench-not-a-secret',
  cookieName: 'sessionid',
  cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  // As Django: a session is stored when something is put in it, not for every visitor.
  saveUninitialized: false,
  // Nor is its cookie sent again with every response (Django sends it when the session changed).
  rolling: false,
});
await app.register(fastifyFormbody);
await app.register(fastifyCsrf, { cookieOpts: { path: '/', sameSite: 'lax' } });
app.addHook('onRequest', (request, reply, done) => {
  if (SAFE_METHODS.has(request.method)) done();
  else app.csrfProtection(request, reply, done);
});

const text = (reply, body) => reply.type('text/plain; charset=utf-8').send(body);
app.get('/', (_request, reply) => text(reply, 'Hello, world'));
app.get('/login/', async (request, reply) => {
  request.session.set('user', 'bench');
  return { csrfToken: await reply.generateCsrf() };
});
app.get('/session/', (request, reply) => text(reply, `Hello, ${request.session.get('user') ?? 'stranger'}`));
app.post('/submit/', (request, reply) => text(reply, `Got ${(request.body?.text ?? '').length} characters`));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
