import './cpu-probe.mjs';
import Koa from 'koa';

const app = new Koa();
app.use((ctx) => {
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = 'Hello, world';
});
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
