// npm run bench: runs every benchmark module in bench/ in its own process (so each reports
// its own peak memory) and prints one `name: value unit` line per figure.
//   npm run bench              all benchmarks
//   npm run bench -- store     only those whose file name contains "store"

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function format(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

async function child(file: string): Promise<void> {
  const mod = (await import(path.join(here, file))) as { run: () => Promise<Figure[]> };
  const figures = await mod.run();
  figures.push({ name: `${file.replace(/\.js$/, '')} peak RSS`, value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB' });
  process.stdout.write(`\n@@figures ${JSON.stringify(figures)}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  let failed = 0;
  for (const f of files) {
    process.stderr.write(`# ${f.replace(/\.js$/, '')}\n`);
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@figures '));
    if (r.status !== 0 || !line) {
      failed++;
      process.stdout.write(`${f.replace(/\.js$/, '')}: FAILED (exit ${r.status})\n`);
      continue;
    }
    for (const fig of JSON.parse(line.slice('@@figures '.length)) as Figure[]) process.stdout.write(`${fig.name}: ${format(fig.value)} ${fig.unit}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
