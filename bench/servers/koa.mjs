// Koa's hello world; HOOKS=5 puts five `await next()` middleware in front of it.
import './cpu-probe.mjs';
import Koa from 'koa';

const app = new Koa();
for (let index = 0; index < Number(process.env.HOOKS ?? 0); index++) {
  app.use(async (_ctx, next) => {
    await next();
  });
}
app.use((ctx) => {
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = 'Hello, world';
});
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
