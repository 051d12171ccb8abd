import { settings as modern, BLOG_MIDDLEWARE, type BlogSettings } from './settings';

/**
 * The same blog under `MIDDLEWARE_CLASSES`, Django's legacy stack, with dwebsocket's
 * `WEBSOCKET_ACCEPT_ALL`: every view accepts a WebSocket upgrade (the comments and chat views are
 * decorated anyway; there is still exactly one handshake). Run it with `BLOG_SETTINGS=legacy`.
 */
export const settings: BlogSettings = {
  ...modern,
  MIDDLEWARE: undefined,
  MIDDLEWARE_CLASSES: BLOG_MIDDLEWARE,
  WEBSOCKET_ACCEPT_ALL: true,
};

export default settings;
