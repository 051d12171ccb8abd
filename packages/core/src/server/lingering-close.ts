import type { Socket } from 'node:net';

/**
 * How long a connection refused mid-upload keeps reading (and dropping) what the client still sends
 * after its answer, at most. Closing at once while bytes are still arriving makes the kernel answer
 * them with a reset, which can destroy the answer before the client read it.
 */
export const LINGERING_CLOSE_MS = 2000;

/**
 * Makes the coming close of `socket` a lingering one: when Node's server closes it after the answer
 * (it calls `destroySoon()` once a `Connection: close` response is written), the socket only sends
 * its FIN, then keeps reading (Node's parser drops the rest of the body) until the client closes or
 * {@link LINGERING_CLOSE_MS} passes. Answer, stop reading, close: in stages, as web servers do.
 */
export function lingerOnClose(socket: Socket): void {
  socket.destroySoon = lingeringDestroySoon;
}

function lingeringDestroySoon(this: Socket): void {
  if (this.writable) this.end();
  const timer = setTimeout(() => this.destroy(), LINGERING_CLOSE_MS);
  timer.unref();
  this.once('close', () => clearTimeout(timer));
}
