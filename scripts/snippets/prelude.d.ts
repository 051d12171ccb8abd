// What the README fragments use without defining it, so each can show only what it is about.
// Everything else they use must come from their own imports.
declare const app: import('@manouche/core').Application;
