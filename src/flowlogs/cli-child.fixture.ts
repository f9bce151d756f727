// Runs `flowlogs flowlog …` in a child process, for the test of changes made by another process.
// Usage: cli-child.fixture ARGS…

import { flowlogVerb } from '../cli/flowlog.js';
import { errorMessage } from '../util/errors.js';

try {
  process.exitCode = await flowlogVerb.run(process.argv.slice(2), { out: process.stdout, err: process.stderr });
} catch (e) {
  process.stderr.write(`${errorMessage(e)}\n`);
  process.exitCode = 2;
}
