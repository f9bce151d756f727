import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DiskQueue, ENTRY_HEADER } from './disk-queue.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-queue-'));
}

const body = (k: number, size = 100): Uint8Array => new Uint8Array(size).fill(k & 255);

async function drainAll(q: DiskQueue): Promise<number[]> {
  const seen: number[] = [];
  for (let e = q.peek(); e; e = q.peek()) {
    const b = await q.read(e);
    seen.push(b[0]);
    q.ack(e);
  }
  return seen;
}

test('entries come back in order, once, and a reopened queue resumes after the last delivered one', async () => {
  const dir = tmp();
  let q = await DiskQueue.open(dir, { cursorSyncMs: 1, segmentBytes: 1000 });
  for (let k = 1; k <= 30; k++) q.append(body(k), k, 1, Date.now());
  assert.equal(q.peek(), undefined, 'nothing is readable before it is durable');
  await q.flush();
  // Segments rotate at 1000 bytes: 140-byte entries, 7 per file.
  assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).length, 5);
  const first: number[] = [];
  for (let i = 0; i < 12; i++) {
    const e = q.peek()!;
    first.push((await q.read(e))[0]);
    assert.equal(e.rows, i + 1);
    q.ack(e);
  }
  assert.deepEqual(first, Array.from({ length: 12 }, (_, i) => i + 1));
  await q.close();
  // The first segment (entries 1..7) was fully delivered and removed.
  assert.ok(!fs.existsSync(path.join(dir, `seg-${'1'.padStart(20, '0')}.log`)));

  q = await DiskQueue.open(dir, { cursorSyncMs: 1, segmentBytes: 1000 });
  assert.equal(q.queuedEntries, 18);
  assert.equal(q.queuedRows, (13 + 30) * 9);
  const seq = q.append(body(31), 31, 1, Date.now());
  assert.equal(seq, 31, 'sequence numbers continue after a restart');
  await q.flush();
  assert.deepEqual(await drainAll(q), Array.from({ length: 19 }, (_, i) => i + 13));
  await q.close();
  q = await DiskQueue.open(dir, { cursorSyncMs: 1 });
  assert.equal(q.queuedEntries, 0);
  await q.close();
});

test('a torn tail left by a crash is cut off and the entries before it are kept', async () => {
  const dir = tmp();
  const q = await DiskQueue.open(dir);
  for (let k = 1; k <= 5; k++) q.append(body(k), 1, 1, 0);
  await q.flush();
  await q.close();
  const seg = path.join(dir, fs.readdirSync(dir).find((n) => n.startsWith('seg-'))!);
  const size = fs.statSync(seg).size;
  assert.equal(size, 5 * (ENTRY_HEADER + 100));
  // Half of a sixth entry, then a flipped byte inside the fifth.
  fs.appendFileSync(seg, Buffer.alloc(60, 7));
  const fd = fs.openSync(seg, 'r+');
  fs.writeSync(fd, Buffer.from([0xee]), 0, 1, 4 * (ENTRY_HEADER + 100) + ENTRY_HEADER + 50);
  fs.closeSync(fd);
  const damaged: string[] = [];
  const again = await DiskQueue.open(dir, {}, { corrupt: (_n, detail) => damaged.push(detail) });
  assert.equal(damaged.length, 1);
  assert.match(damaged[0], /checksum/);
  assert.deepEqual(await drainAll(again), [1, 2, 3, 4]);
  assert.equal(fs.statSync(seg).size, 4 * (ENTRY_HEADER + 100));
  again.append(body(9), 1, 1, 0);
  await again.flush();
  assert.deepEqual(await drainAll(again), [9]);
  await again.close();
});

test('full queue: drop-oldest gives up the oldest entries (not the one being delivered), refuse-newest refuses', async () => {
  const dir = tmp();
  const dropped: number[] = [];
  const alarms: boolean[] = [];
  const q = await DiskQueue.open(dir, { maxBytes: 10 * 140, alarmRatio: 0.5, whenFull: 'drop-oldest' }, { dropped: (rows) => dropped.push(rows), alarm: (on) => alarms.push(on) });
  for (let k = 1; k <= 10; k++) {
    assert.equal(q.makeRoom(140), true);
    q.append(body(k), k, 1, 0);
  }
  assert.deepEqual(alarms, [true], 'the alarm goes on at half the cap');
  await q.flush();
  const head = q.peek()!; // entry 1 is now being delivered
  assert.equal(q.makeRoom(2 * 140), true);
  // Entries 2 and 3 (rows 2 + 3) were the oldest not in flight.
  assert.deepEqual(dropped, [5]);
  q.append(body(11), 11, 1, 0);
  q.append(body(12), 12, 1, 0);
  await q.flush();
  assert.equal((await q.read(head))[0], 1);
  q.ack(head);
  assert.deepEqual(await drainAll(q), [4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(alarms, [true, false]);
  await q.close();

  const r = await DiskQueue.open(tmp(), { maxBytes: 3 * 140, whenFull: 'refuse-newest' });
  for (let k = 1; k <= 3; k++) {
    assert.equal(r.makeRoom(140), true);
    r.append(body(k), 1, 1, 0);
  }
  assert.equal(r.makeRoom(140), false);
  assert.equal(r.queuedEntries, 3);
  await r.close();
});

test('the age of the oldest undelivered entry is its arrival time', async () => {
  const q = await DiskQueue.open(tmp());
  assert.equal(q.oldestArrivalMs, undefined);
  q.append(body(1), 1, 1, 1000);
  q.append(body(2), 1, 1, 2000);
  assert.equal(q.oldestArrivalMs, 1000);
  await q.flush();
  q.ack(q.peek()!);
  assert.equal(q.oldestArrivalMs, 2000);
  await q.close();
});
