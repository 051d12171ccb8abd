#!/usr/bin/env node
// The `manouche` command. A committed file rather than dist/cli/main.js itself, so that npm links the
// bin even in a fresh clone, where dist/ appears only after `npm run build`.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, run before any build */
const { join } = require('node:path');

let cli;
try {
  cli = require(join(__dirname, '..', 'dist', 'cli', 'main.js'));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('main.js')) {
    console.error(
      'manouche: @manouche/core is not built yet; run `npm run build` at the repository root first.',
    );
    process.exit(1);
  }
  throw error;
}
cli.runCommandLine();
