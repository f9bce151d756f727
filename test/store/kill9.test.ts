import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDbStore } from '../../src/store/duckdb/store.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ingest-child.js');

test('records acknowledged as stored survive kill -9 in the middle of ingest and compaction', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-kill9-'));
  for (let round = 0; round < 3; round++) {
    const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = -1;
    let acks = 0;
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const m = /^acked (\d+)$/.exec(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (m) {
            acked = Number(m[1]);
            // Kill at a different moment each round, while batches are still in flight.
            if (++acks === 40 + round * 37) {
              p.kill('SIGKILL');
              resolve();
            }
          }
        }
      });
      p.on('exit', (code, sig) => (sig === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${code}`))));
    });
    await new Promise((r) => p.once('exit', r));
    // Reopen: recovery takes over the dead writer's lock and cleans its temporary files.
    const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { encoders: 0 } });
    await store.start();
    const all = { from: 0, to: 2 ** 32 };
    const [n, distinct, maxSeq] = (await store.sql('SELECT count(*), count(DISTINCT bytes), max(bytes) FROM flows', all)).rows[0] as number[];
    assert.equal(n, distinct, 'no record stored twice');
    const [present] = (await store.sql(`SELECT count(*) FROM flows WHERE bytes <= ${acked}`, all)).rows[0] as number[];
    assert.equal(present, acked + 1, `every acknowledged record (0..${acked}) is there after round ${round}`);
    assert.ok(maxSeq >= acked);
    // The next child starts numbering from 0 again: clear for the next round.
    await store.stop();
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
  }
  fs.rmSync(dir, { recursive: true });
});
