import assert from 'node:assert/strict';
import { test } from 'node:test';
import { section } from '../config/load.js';
import { sinksConfig } from './registry.js';

const cfg = (raw: unknown) => ({ raw: { sinks: raw } as Record<string, unknown>, source: 'flowlogs.yaml' });

test('the sinks section: each entry validated by its type, with defaults and sizes in words', () => {
  const s = section(
    cfg({
      archive: { type: 'files', path: '/var/lib/flows', format: 'parquet', queue: { max_bytes: '2GiB', when_full: 'refuse-newest' } },
      siem: { type: 'elasticsearch', url: 'https://es.internal:9200', flow_logs: ['fl-0a1b'], filter: 'action:REJECT' },
    }),
    'sinks',
    sinksConfig,
  );
  const archive = s.archive as unknown as Record<string, unknown> & { queue: { max_bytes: number; when_full: string; alarm_at: number } };
  assert.equal(archive.queue.max_bytes, 2 * 1024 ** 3);
  assert.equal(archive.queue.when_full, 'refuse-newest');
  assert.equal(archive.queue.alarm_at, 0.8);
  assert.equal(archive.partition, 'hour');
  assert.equal(archive.flow_logs, 'none');
  const siem = s.siem as unknown as Record<string, unknown>;
  assert.equal(siem.format, 'ecs');
  assert.equal(siem.index, 'flowlogs');
  assert.deepEqual(siem.flow_logs, ['fl-0a1b']);
});

test('mistakes are named by their place in the file', () => {
  assert.throws(() => section(cfg({ x: { type: 'kafka' } }), 'sinks', sinksConfig), /flowlogs\.yaml: sinks\.x\.type: .*'files'/);
  assert.throws(() => section(cfg({ x: { type: 's3', bucket: 'b' } }), 'sinks', sinksConfig), /sinks\.x\.access_key_id/);
  assert.throws(() => section(cfg({ x: { type: 'files', path: '/x', rotate: 5 } }), 'sinks', sinksConfig), /sinks\.x: Unrecognized key: "rotate"/);
  assert.throws(() => section(cfg({ x: { type: 'files', path: '/x', queue: { max_bytes: 'lots' } } }), 'sinks', sinksConfig), /sinks\.x\.queue\.max_bytes/);
  assert.throws(() => section(cfg({ 'Bad Name': { type: 'files', path: '/x' } }), 'sinks', sinksConfig), /sinks\.Bad Name: Invalid key/);
});
