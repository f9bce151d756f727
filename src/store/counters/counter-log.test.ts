import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { testdata } from '../../../test/support/paths.js';
import { ExporterDecoder } from '../../sources/exporter-decoder.js';
import { readCaptureFile, udpPayload } from '../../sources/pcap/index.js';
import { CounterList } from '../../sources/sflow/index.js';
import { BatchList } from '../../sources/source.js';
import { DuckDbEngine } from '../duckdb/engine.js';
import { CounterLog } from './counter-log.js';

test('interface counters from a real switch are kept and turned into rates', async () => {
  const counters = new CounterList();
  const d = new ExporterDecoder({ counters });
  for await (const p of readCaptureFile(testdata('overflowd', 'sflow.pcap'))) {
    const u = udpPayload(p);
    if (u) d.decode(u.payload, u.src, u.tsMs, new BatchList());
  }
  const rows = counters.records();
  assert.ok(rows.length > 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-counters-'));
  const log = new CounterLog(dir);
  log.add(rows);
  await log.flush();
  const engine = await DuckDbEngine.create();
  const from = Math.min(...rows.map((r) => r.time_ms));
  const to = Math.max(...rows.map((r) => r.time_ms)) + 1;
  // Pick an interface with several samples and compute its first rate by hand.
  const byIf = new Map<string, typeof rows>();
  for (const r of rows) byIf.set(`${r.agent}/${r.if_index}`, [...(byIf.get(`${r.agent}/${r.if_index}`) ?? []), r]);
  const [key, samples] = [...byIf].find(([, s]) => s.length >= 3 && s[1].in_octets > s[0].in_octets)!;
  samples.sort((a, b) => a.time_ms - b.time_ms);
  const [agent, ifIndex] = key.split('/');
  const got = await log.utilisation(engine, { fromMs: from, toMs: to, agent, ifIndex: Number(ifIndex) });
  assert.equal(got.length, samples.length - 1);
  const dt = (samples[1].time_ms - samples[0].time_ms) / 1000;
  assert.ok(Math.abs(got[0].in_bps - ((samples[1].in_octets - samples[0].in_octets) * 8) / dt) < 1e-6);
  assert.equal(got[0].if_speed, samples[0].if_speed);
  const all = await log.utilisation(engine, { fromMs: from, toMs: to });
  assert.equal(all.length, rows.length - byIf.size, 'one rate per consecutive pair of samples');
  assert.deepEqual(await log.utilisation(engine, { fromMs: to + 86_400_000 * 10, toMs: to + 86_400_000 * 11 }), []);
  engine.close();
  fs.rmSync(dir, { recursive: true });
});
