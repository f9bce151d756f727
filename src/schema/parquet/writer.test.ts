import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { FlowBatch } from '../batch.js';
import { FIELDS } from '../fields.js';
import { encodeParquet } from './writer.js';

/** Reads a Parquet file back through DuckDB with every value as text, in file order. */
async function readBack(file: string): Promise<Record<string, string>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const cols = FIELDS.map((f) => `"${f.name}"::VARCHAR AS "${f.name}"`).join(', ');
  const r = await c.runAndReadAll(`SELECT ${cols} FROM read_parquet('${file}')`);
  const rows = r.getRowObjectsJS() as Record<string, string>[];
  c.closeSync();
  db.closeSync();
  return rows;
}

function uuidOf(ip: string): string {
  const w = new Uint32Array(4);
  const b = FlowBatch.fromRecords([{ src_addr: ip }]);
  w.set(b.cols.src_addr.subarray(0, 4));
  const h = [...w].map((x) => x.toString(16).padStart(8, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function expectedText(b: FlowBatch, row: number, name: string): string {
  const f = FIELDS.find((x) => x.name === name)!;
  const v = b.value(f, row);
  if (f.type === 'ip') return uuidOf(String(v));
  if (f.type === 'mac') return String(b.cols[f.name as 'src_mac'][row]);
  return String(v);
}

/** Columns shaped to hit every encoding: constant, small-range dictionary, hashed dictionary, delta, plain. */
function mixedBatch(n: number, seed: number): FlowBatch {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const b = new FlowBatch(n);
  for (let i = 0; i < n; i++) {
    const r = b.addRow();
    b.cols.version[r] = 2;
    b.cols.protocol[r] = [6, 17, 1, 58, 47][i % 5];
    b.cols.src_port[r] = Math.floor(rnd() * 65536);
    b.cols.dst_port[r] = [22, 80, 443, 65535][i % 4];
    b.cols.packets[r] = Math.floor(rnd() * 50);
    b.cols.bytes[r] = Math.floor(rnd() * 2 ** 52); // wide deltas (> 32 bits)
    b.cols.start[r] = 4_000_000_000 + Math.floor(i / 100) * 60; // above 2^31: unsigned INT32
    b.cols.end[r] = b.cols.start[r] + 60;
    b.cols.first_ms[r] = 1_763_769_600_000 + Math.floor(rnd() * 1e9);
    b.cols.last_ms[r] = b.cols.first_ms[r] + 5;
    b.cols.sampling_rate[r] = i % 3 === 0 ? 0xffffffff : 1;
    b.cols.src_asn[r] = Math.floor(rnd() * 2 ** 32);
    b.cols.action[r] = i % 7 === 0 ? 1 : 0;
    b.cols.direction[r] = i % 2;
    b.cols.src_mac[r] = i % 2 ? 2 ** 48 - 1 : Math.floor(rnd() * 2 ** 48);
    b.setIp('src_addr', r, i % 3 ? `10.${i % 256}.${(i >> 8) % 256}.${i % 97}` : `2001:db8::${(i * 31).toString(16)}`);
    b.setIp('dst_addr', r, i % 2 ? '10.0.0.1' : 'fe80::1');
    b.setIp('exporter', r, `192.0.2.${Math.floor(rnd() * 256)}`);
    b.setString('interface_id', r, `eni-${i % 13}`);
    b.setString('rule_id', r, i % 11 === 0 ? "sg-1/it's \"quoted\" ✓" : '');
    b.setString('threat', r, i % 1000 === 0 ? 'ipsum-3' : '');
  }
  return b;
}

test('every column survives a round trip through DuckDB, across row groups and encodings', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-pq-'));
  const file = path.join(dir, 'f.parquet');
  const a = mixedBatch(5000, 1);
  const b = mixedBatch(3001, 2);
  fs.writeFileSync(file, encodeParquet([
    { batch: a, from: 0, to: 5000 },
    { batch: b, from: 1, to: 3001 },
    { batch: b, from: 0, to: 1 },
  ]));
  const rows = await readBack(file);
  assert.equal(rows.length, 8001);
  const order: [FlowBatch, number][] = [];
  for (let i = 0; i < 5000; i++) order.push([a, i]);
  for (let i = 1; i < 3001; i++) order.push([b, i]);
  order.push([b, 0]);
  let mismatches = 0;
  for (let k = 0; k < rows.length; k++) {
    const [batch, row] = order[k];
    for (const f of FIELDS) {
      const want = expectedText(batch, row, f.name);
      if (rows[k][f.name] !== want) {
        if (mismatches++ < 5) assert.equal(rows[k][f.name], want, `row ${k} field ${f.name}`);
      }
    }
  }
  assert.equal(mismatches, 0);
  fs.rmSync(dir, { recursive: true });
});

test('column statistics let DuckDB skip row groups by time', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-pq-'));
  const file = path.join(dir, 'f.parquet');
  const a = mixedBatch(2000, 3);
  fs.writeFileSync(file, encodeParquet([{ batch: a, from: 0, to: 1000 }, { batch: a, from: 1000, to: 2000 }]));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const r = await c.runAndReadAll(`SELECT row_group_id, stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE path_in_schema = 'start' ORDER BY 1`);
  assert.deepEqual(r.getRows(), [
    [0n, String(a.cols.start[0]), String(a.cols.start[999])],
    [1n, String(a.cols.start[1000]), String(a.cols.start[1999])],
  ]);
  c.closeSync();
  db.closeSync();
  fs.rmSync(dir, { recursive: true });
});

test('an empty range still writes a valid file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-pq-'));
  const file = path.join(dir, 'f.parquet');
  fs.writeFileSync(file, encodeParquet([]));
  assert.equal((await readBack(file)).length, 0);
  fs.rmSync(dir, { recursive: true });
});
