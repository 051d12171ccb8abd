// Fastify's hello world; HOOKS=5 adds five no-op onRequest hooks, callback-style (`done()`), or
// async functions with HOOK_STYLE=async.
import './cpu-probe.mjs';
import Fastify from 'fastify';

const hooks = Number(process.env.HOOKS ?? 0);
const app = Fastify({ logger: false });
for (let index = 0; index < hooks; index++) {
  if (process.env.HOOK_STYLE === 'async') app.addHook('onRequest', async () => undefined);
  else app.addHook('onRequest', (_request, _reply, done) => done());
}
app.get('/', (_request, reply) => {
  reply.type('text/plain; charset=utf-8').send('Hello, world');
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
