// Express's hello world; HOOKS=5 puts five `next()` middleware in front of it.
import './cpu-probe.mjs';
import express from 'express';

const app = express();
for (let index = 0; index < Number(process.env.HOOKS ?? 0); index++) {
  app.use((_req, _res, next) => next());
}
app.get('/', (_req, res) => {
  res.type('text/plain; charset=utf-8').send('Hello, world');
});
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
