#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// Let pending output flush before leaving.
process.exitCode = code;
