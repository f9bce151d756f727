import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSmall } from '../inventory/test-fixture.js';
import { isInputError } from '../util/errors.js';
import { FLOW_LOGS_FILE, FlowLogNotFoundError, FlowLogRegistry } from './registry.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-registry-'));
}

test('create, list, update, enable, disable, delete; every attribute editable; persisted', async () => {
  const dir = tmp();
  const inv = parseSmall();
  const r = FlowLogRegistry.open(dir);
  const a = await r.create({ name: 'public', scope_id: 'subnet-pub', traffic_type: 'REJECT', window: '10s' }, inv);
  assert.match(a.id, /^fl-[0-9a-f]{17}$/);
  assert.equal(a.scope_type, 'subnet');
  assert.equal(a.window_seconds, 10);
  assert.deepEqual(a.destinations, ['store']);
  assert.equal(a.enabled, true);
  const b = await r.create({ scope_id: 'eni-app', window: 600, destinations: ['store', 'kafka-eu'] }, inv);
  assert.equal(b.traffic_type, 'ALL');
  assert.equal(b.name, 'eni-app-flow-log');

  const changed = await r.update('public', { name: 'pub', scope_id: 'vpc-1', traffic_type: 'ACCEPT', window: '5m', destinations: ['s3'], enabled: false }, inv);
  assert.equal(changed.id, a.id);
  assert.deepEqual([changed.name, changed.scope_type, changed.scope_id, changed.traffic_type, changed.window_seconds, changed.destinations, changed.enabled], ['pub', 'vpc', 'vpc-1', 'ACCEPT', 300, ['s3'], false]);
  assert.equal(changed.created, a.created);
  assert.deepEqual(r.destinationsOf(a.id), ['s3']);
  assert.equal(r.storesRows(a.id), false);
  assert.equal(r.storesRows(b.id), true);
  assert.deepEqual(r.destinationsOf('fl-nope'), []);

  await r.setEnabled(a.id, true);
  await r.delete(b.id);
  const again = FlowLogRegistry.open(dir);
  assert.deepEqual(
    again.list().map((l) => [l.id, l.name, l.enabled]),
    [[a.id, 'pub', true]],
  );
  const stored = JSON.parse(fs.readFileSync(path.join(dir, FLOW_LOGS_FILE), 'utf8'));
  assert.equal(stored.flow_logs.length, 1);
});

test('bad input is refused with a message naming the problem', async () => {
  const dir = tmp();
  const inv = parseSmall();
  const r = FlowLogRegistry.open(dir);
  const refuse = async (p: Promise<unknown>, re: RegExp) => {
    await assert.rejects(p, (e: Error) => isInputError(e) && re.test(e.message));
  };
  await refuse(r.create({ scope_id: 'subnet-pub', window: 0 }, inv), /window must be .* from 1 s to 10 min/);
  await refuse(r.create({ scope_id: 'subnet-pub', window: '11m' }, inv), /window must be/);
  await refuse(r.create({ scope_id: 'subnet-pbu' }, inv), /not a VPC, subnet or ENI of the inventory \(did you mean 'subnet-pub'\?\)/);
  await refuse(r.create({ scope_id: 'subnet-pub', scope_type: 'eni' }, inv), /is a subnet in the inventory, not a eni/);
  await refuse(r.create({ scope_id: 'web-tier' }), /cannot tell whether 'web-tier' is a VPC, subnet or ENI/);
  await refuse(r.create({ scope_id: 'eni-1', traffic_type: 'DROP' as never }), /traffic type must be one of ACCEPT, REJECT, ALL/);
  await refuse(r.create({ scope_id: 'eni-1', destinations: [] }), /at least one destination/);
  await r.create({ name: 'x', scope_id: 'eni-1' });
  await refuse(r.create({ name: 'x', scope_id: 'eni-2' }), /a flow log named 'x' already exists/);
  await assert.rejects(r.delete('y'), (e: Error) => e instanceof FlowLogNotFoundError && /no flow log 'y' \(did you mean 'x'\?\)/.test(e.message));
  assert.equal(r.list().length, 1);
});

test('changes made by another process apply here within two seconds', async () => {
  const dir = tmp();
  const r = FlowLogRegistry.open(dir);
  r.watch(200);
  let changes = 0;
  r.onChange(() => changes++);
  const self = fileURLToPath(import.meta.url);
  const child = path.join(path.dirname(self), `cli-child.fixture${path.extname(self)}`);
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [...process.execArgv, child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += String(d)));
      p.stderr.on('data', (d) => (err += String(d)));
      p.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
      p.on('error', reject);
    });
  const created = await run(['create', '--scope', 'subnet-abc', '--name', 'from-cli', '--window', '30s', '--data', dir, '--format', 'json']);
  assert.equal(created.code, 0, created.err);
  const id = JSON.parse(created.out).id as string;
  const t0 = Date.now();
  while (!r.get(id) && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 50));
  assert.ok(r.get(id), 'seen within 2 s');
  assert.equal(r.get(id)!.window_seconds, 30);

  const disabled = await run(['disable', 'from-cli', '--data', dir]);
  assert.equal(disabled.code, 0, disabled.err);
  const t1 = Date.now();
  while (r.get(id)!.enabled && Date.now() - t1 < 2000) await new Promise((res) => setTimeout(res, 50));
  assert.equal(r.get(id)!.enabled, false);
  assert.ok(changes >= 2);

  const bad = await run(['update', 'from-cli', '--window', '0', '--data', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /flowlogs flowlog update: window must be/);
  r.close();
});

test('concurrent changes from two processes are both kept (the file is locked around each change)', async () => {
  const dir = tmp();
  const a = FlowLogRegistry.open(dir);
  const b = FlowLogRegistry.open(dir);
  await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).create({ scope_id: `eni-${i}` })));
  assert.equal(FlowLogRegistry.open(dir).list().length, 10);
});
