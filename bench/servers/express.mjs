import './cpu-probe.mjs';
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.type('text/plain; charset=utf-8').send('Hello, world');
});
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
