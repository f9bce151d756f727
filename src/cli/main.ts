// The flowlogs command: one verb per file, dispatched here; errors become one line on stderr
// with exit status 2 for bad usage or input and 1 for runtime failures.

import { errorMessage, isInputError } from '../util/errors.js';
import type { Io, Verb } from './args.js';
import { alertsVerb } from './alerts.js';
import { analyze } from './analyze.js';
import { ANSWER_VERBS } from './answers.js';
import { captureVerb } from './capture.js';
import { collect } from './collect.js';
import { diagnoseVerb } from './diagnose.js';
import { flowlogVerb } from './flowlog.js';
import { inventoryVerb } from './inventory.js';
import { decode } from './decode.js';
import { exportVerb } from './export.js';
import { demo } from './demo.js';
import { importVerb } from './import.js';
import { query } from './query.js';
import { serve } from './serve.js';
import { simulate } from './simulate.js';
import { token } from './token.js';
import { VERSION } from './version.js';
import { write } from './write.js';

export const VERBS: Verb[] = [
  serve,
  demo,
  collect,
  write,
  decode,
  captureVerb,
  importVerb,
  exportVerb,
  query,
  analyze,
  diagnoseVerb,
  ...ANSWER_VERBS,
  alertsVerb,
  flowlogVerb,
  inventoryVerb,
  simulate,
  token,
];

function usage(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length));
  return `flowlogs ${VERSION}: flow logs for any network\n\nusage: flowlogs <command> [flags]   (flowlogs <command> --help for details)\n\n${VERBS.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`).join('\n')}\n`;
}

export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    io.out.write(`${VERSION}\n`);
    return 0;
  }
  const verb = VERBS.find((v) => v.name === name);
  if (!verb) {
    io.err.write(`flowlogs: unknown command '${name}' (commands: ${VERBS.map((v) => v.name).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out.write(verb.usage + '\n');
    return 0;
  }
  try {
    return await verb.run(rest, io);
  } catch (e) {
    io.err.write(`flowlogs ${name}: ${errorMessage(e).replace(/^flowlogs [^:]+: /, '')}\n`);
    return isInputError(e) ? 2 : 1;
  }
}
