#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// A reader that goes away (`flowlogs query … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
