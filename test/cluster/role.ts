// Runs one flowlogs role in this process, as `flowlogs <role> …` would: the cluster test and
// benchmark start collectors, writers and servers as separate processes through it.

import { collect } from '../../src/cli/collect.js';
import { serve } from '../../src/cli/serve.js';
import { write } from '../../src/cli/write.js';
import { errorMessage, isInputError } from '../../src/util/errors.js';

const verbs = { collect, write, serve };
const [name, ...argv] = process.argv.slice(2);
const verb = verbs[name as keyof typeof verbs];
if (!verb) {
  process.stderr.write(`role: unknown role '${name}'\n`);
  process.exit(2);
}
try {
  process.exitCode = await verb.run(argv, { out: process.stdout, err: process.stderr });
} catch (e) {
  process.stderr.write(`flowlogs ${name}: ${errorMessage(e)}\n`);
  process.exitCode = isInputError(e) ? 2 : 1;
}
