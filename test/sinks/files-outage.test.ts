import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { runOutage } from './outage.js';

// The target "goes down" by its directory disappearing behind a plain file of the same name
// (every open, mkdir and rename then fails), and comes back when the directory returns.
function filesTarget(root: string) {
  const out = path.join(root, 'out');
  const away = path.join(root, 'away');
  fs.mkdirSync(out);
  return {
    out,
    stopTarget: async () => {
      fs.renameSync(out, away);
      fs.writeFileSync(out, 'not a directory');
    },
    startTarget: async () => {
      fs.rmSync(out);
      fs.renameSync(away, out);
    },
  };
}

function readJsonBytes(dir: string): number[] {
  const values: number[] = [];
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (!fs.statSync(p).isFile() || f.endsWith('.part')) continue;
    const text = (f.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(p)) : fs.readFileSync(p)).toString();
    for (const line of text.split('\n')) if (line) values.push((JSON.parse(line) as { bytes: number }).bytes);
  }
  return values;
}

test('files: an outage of the output directory loses nothing and duplicates nothing', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-files-outage-'));
  const t = filesTarget(root);
  await runOutage({ settings: { type: 'files', path: t.out, gzip: true, rotate_seconds: 1 }, outageMs: 3000, stopTarget: t.stopTarget, startTarget: t.startTarget, readBack: async () => readJsonBytes(t.out) });
});

test('files: flowlogs restarting during the outage resumes from its queue', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-files-outage-'));
  const t = filesTarget(root);
  await runOutage({ settings: { type: 'files', path: t.out, partition: 'none', rotate_bytes: 200_000 }, stopTarget: t.stopTarget, startTarget: t.startTarget, readBack: async () => readJsonBytes(t.out), restartDuringOutage: true });
});
