// Runs an import in a child process for the crash test: prints one line per durable batch so
// the parent can kill it at a known point. Usage: import-child DATA_DIR FILE BATCH_ROWS

import { runImport } from '../../cli/import.js';
import { storeConfig } from '../../store/config.js';

const [dataDir, file, batchRows] = process.argv.slice(2);
const { code } = await runImport(
  {
    paths: [file],
    format: 'auto',
    store: storeConfig.parse({ data: dataDir }),
    progress: 'none',
    showErrors: 0,
    batchRows: Number(batchRows),
    onBatchStored: (n) => process.stdout.write(`stored ${n}\n`),
  },
  { out: process.stderr, err: process.stderr },
);
process.exitCode = code;
