import './cpu-probe.mjs';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', (_request, reply) => {
  reply.type('text/plain; charset=utf-8').send('Hello, world');
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
