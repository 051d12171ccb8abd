// Manouche serving the same hello world, with MIDDLEWARE_COUNT pass-through middleware in the chosen
// MODE (MIDDLEWARE: new-style classes whose call() only calls getResponse; MIDDLEWARE_CLASSES:
// legacy classes with a processRequest that returns nothing and a processResponse that returns the
// response).
import './cpu-probe.mjs';
import { createApp, HttpResponse, path } from '@manouche/core';

const count = Number(process.env.MIDDLEWARE_COUNT ?? 0);
const mode = process.env.MODE ?? 'MIDDLEWARE';

class PassThrough {
  constructor(getResponse) {
    this.getResponse = getResponse;
  }
  call(request) {
    return this.getResponse(request);
  }
}

class LegacyPassThrough {
  processRequest() {
    return undefined;
  }
  processResponse(_request, response) {
    return response;
  }
}

const layers = Array.from({ length: count }, (_, index) => {
  const Base = mode === 'MIDDLEWARE' ? PassThrough : LegacyPassThrough;
  return { [`Layer${index}`]: class extends Base {} }[`Layer${index}`];
});

const app = createApp({
  ROOT_URLCONF: [
    path('', () => new HttpResponse('Hello, world', { contentType: 'text/plain; charset=utf-8' })),
  ],
  [mode]: layers,
});
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.send?.('ready');
