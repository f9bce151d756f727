import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../../schema/batch.js';
import { awsSampleBatch, simulatedBatches } from '../test-support.js';
import { ByteBuffer, decodeChunks, encodeChunk } from './batch-codec.js';

test('rows survive the queue encoding unchanged: whole batches, chosen rows, and several chunks in one entry', () => {
  const aws = awsSampleBatch();
  const [sim] = simulatedBatches(5000, 3, 5000);
  const out = new ByteBuffer(64);
  encodeChunk(out, aws, null, aws.length);
  const picked = Int32Array.from([1, 4, 6]);
  encodeChunk(out, aws, picked, picked.length);
  encodeChunk(out, sim, null, 1000, 2500);
  const back = decodeChunks(out.take(), 3, aws.length + 3 + 1000);
  assert.equal(back.length, 7 + 3 + 1000);
  const expected = [...aws.rows(), ...[1, 4, 6].map((r) => aws.get(r)), ...Array.from({ length: 1000 }, (_, i) => sim.get(2500 + i))];
  assert.deepEqual([...back.rows()], expected);
  // Spot checks against the sample file itself (line 1: IPv6 SSH flow; line 3: SKIPDATA).
  assert.equal(back.get(0).src_addr, '2001:db8:1234:a100:8d6e:3477:df66:f105');
  assert.equal(back.get(0).bytes, 8855);
  assert.equal(back.get(2).log_status, 'SKIPDATA');
  assert.equal(back.get(2).interface_id, 'eni-11111111aaaaaaaaa');
  assert.equal(back.get(8).dst_port, 3389);
});

test('a body that does not match its header is reported, not read past', () => {
  const b = FlowBatch.fromRecords([{ src_addr: '10.0.0.1', bytes: 5 }]);
  const out = new ByteBuffer(64);
  encodeChunk(out, b, null, 1);
  const bytes = out.take();
  assert.throws(() => decodeChunks(bytes.subarray(0, bytes.length - 3), 1, 1), /ends inside a column|outside/);
  assert.throws(() => decodeChunks(bytes, 1, 0), /more rows/);
});
