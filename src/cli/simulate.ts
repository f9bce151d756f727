import fs from 'node:fs';
import { loadInventory } from '../inventory/index.js';
import { RecordWriter } from '../schema/formats.js';
import { loadExampleInventory, SCENARIOS, Simulator, type ScenarioRequest } from '../sources/simulator/index.js';
import { BatchList } from '../sources/source.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parseTime } from '../util/time.js';
import { int, list, oneOf, parseFlags, str, type Io, type Verb } from './args.js';

/** NAME, NAME@WINDOW or NAME@WINDOW+COUNT. */
export function parseScenario(text: string): ScenarioRequest {
  const m = /^([a-z_]+)(?:@(\d+)(?:\+(\d+))?)?$/.exec(text.trim());
  if (!m) throw new InputError(`--scenario: '${text}' is not NAME[@WINDOW[+WINDOWS]] (e.g. horizontal_scan@5+2)`);
  if (!SCENARIOS.includes(m[1])) throw new InputError(`--scenario: unknown scenario '${m[1]}'${didYouMean(m[1], SCENARIOS)} (known: ${SCENARIOS.join(', ')})`);
  return { name: m[1], atWindow: m[2] === undefined ? undefined : Number(m[2]), windows: m[3] === undefined ? undefined : Number(m[3]) };
}

export const simulate: Verb = {
  name: 'simulate',
  summary: 'write simulated VPC flow records (deterministic from --seed)',
  usage: `flowlogs simulate [--windows N] [--seed S] [--scenario NAME[@W[+N]]]... [--format jsonl|csv]
                  [--inventory FILE] [--window SECONDS] [--rate N] [--start T] [--truth FILE]

  --windows N      aggregation windows to write (default 10)
  --window S       window length in seconds (default 60)
  --rate N         everyday records per window at the daily peak (default 10000)
  --scenario X     inject a scenario at window W (default 1) for N windows (default 1); repeatable.
                   ${SCENARIOS.join(', ')}
  --inventory FILE network to simulate (default: the built-in example, examples/inventory.yaml)
  --start T        start of the first window (default 2026-01-01T00:00:00Z, so a seed replays a run)
  --truth FILE     write each scenario's ground truth (who, what, when) as JSON`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('simulate', argv, {
      windows: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      format: { type: 'string' },
      inventory: { type: 'string' },
      window: { type: 'string' },
      rate: { type: 'string' },
      start: { type: 'string' },
      truth: { type: 'string' },
    }, false);
    const format = oneOf(p, 'format', 'simulate', ['jsonl', 'csv'] as const, 'jsonl');
    const windows = int(p, 'windows', 'simulate', 1, 10_000_000) ?? 10;
    const inventoryFile = str(p, 'inventory');
    const inv = inventoryFile ? loadInventory(inventoryFile) : loadExampleInventory();
    const start = str(p, 'start');
    const sim = new Simulator(inv, {
      seed: int(p, 'seed', 'simulate') ?? 1,
      windowSeconds: int(p, 'window', 'simulate', 1, 600),
      flowsPerWindow: int(p, 'rate', 'simulate', 1, 100_000_000),
      startTime: start ? parseTime(start, '--start') : undefined,
      scenarios: list(p, 'scenario').map(parseScenario),
    });
    const writer = new RecordWriter(io.out, format);
    let flows = 0;
    for (let w = 0; w < windows; w++) {
      const batches = new BatchList(16384);
      flows += sim.nextWindow(batches).flows;
      for (const b of batches.batches) await writer.write(b);
    }
    writer.finish();
    const truthFile = str(p, 'truth');
    if (truthFile) fs.writeFileSync(truthFile, JSON.stringify(sim.groundTruth(), null, 2) + '\n');
    io.err.write(`${flows} flows in ${windows} windows${truthFile ? `; ground truth in ${truthFile}` : ''}\n`);
    return 0;
  },
};
