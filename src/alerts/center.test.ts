import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Finding } from '../detect/finding.js';
import type { Alert } from './alert.js';
import { AlertLog } from './alert-log.js';
import { AlertCenter, type AlertEvent } from './center.js';

const T = 1_767_225_600;

function finding(over: Partial<Finding> = {}): Finding {
  const windowStart = over.windowStart ?? T;
  return {
    rule: 'horizontal_scan',
    detector: 'horizontal_scan',
    severity: 'high',
    key: '10.0.0.9|6|445',
    group: '10.0.0.9',
    title: 'Horizontal scan from 10.0.0.9',
    entities: { addresses: ['10.0.0.9'], interfaces: ['eni-a'], ports: [445], protocols: [6], accounts: ['111'], vpcs: [], subnets: [] },
    windowStart,
    windowEnd: windowStart + 60,
    evidence: { query: 'src_addr:10.0.0.9 AND dst_port:445', from: windowStart, to: windowStart + 60 },
    flows: 30,
    metrics: { destinations: 25 },
    ...over,
  };
}

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-alerts-'));
  const events: [AlertEvent, string][] = [];
  const make = () => {
    const c = new AlertCenter(new AlertLog(dir));
    c.addListener({ onAlert: (e, a) => events.push([e, a.id]) });
    return c;
  };
  return { dir, events, make, done: () => fs.rmSync(dir, { recursive: true }) };
}

test('findings about the same thing fold into one alert across windows; counts add up', async () => {
  const s = setup();
  const c = s.make();
  c.accept(finding());
  c.accept(finding({ flows: 50, refresh: true, metrics: { destinations: 40 } }));
  await c.flush();
  c.accept(finding({ windowStart: T + 60, flows: 20 }));
  c.accept(finding({ windowStart: T + 60, flows: 35, refresh: true }));
  c.accept(finding({ key: 'other', windowStart: T + 60 }));
  await c.flush();
  const [a, b] = c.list({}).sort((x, y) => x.key.localeCompare(y.key));
  assert.equal(a.key, '10.0.0.9|6|445');
  assert.equal(a.windows, 2);
  assert.equal(a.flows, 50 + 35);
  assert.equal(a.first_seen, T);
  assert.equal(a.last_seen, T + 120);
  assert.deepEqual(a.evidence, { query: 'src_addr:10.0.0.9 AND dst_port:445', from: T, to: T + 120 });
  assert.equal(b.key, 'other');
  assert.deepEqual(s.events.map(([e]) => e), ['opened', 'opened']);
  s.done();
});

test('a finding long after the last one opens a new alert; a worse one escalates', async () => {
  const s = setup();
  const c = s.make();
  c.accept(finding());
  await c.flush();
  c.accept(finding({ windowStart: T + 600, severity: 'critical' }));
  await c.flush();
  c.accept(finding({ windowStart: T + 600 + 3600 + 120 }));
  await c.flush();
  const alerts = c.list({});
  assert.equal(alerts.length, 2);
  assert.deepEqual(s.events.map(([e]) => e), ['opened', 'escalated', 'opened']);
  assert.equal(alerts.find((a) => a.first_seen === T)!.severity, 'critical');
  s.done();
});

test('lifecycle: acknowledged alerts keep absorbing findings quietly; after resolving, the next finding opens a new alert', async () => {
  const s = setup();
  const c = s.make();
  c.accept(finding());
  await c.flush();
  const id = c.list({})[0].id;
  const acked = await c.setStatus(id, 'acknowledged', 'alice', 'looking');
  assert.equal(acked.status, 'acknowledged');
  assert.equal(acked.acknowledged_by, 'alice');
  c.accept(finding({ windowStart: T + 60 }));
  await c.flush();
  assert.equal(c.list({}).length, 1);
  assert.equal(c.get(id)!.windows, 2);
  assert.equal(c.get(id)!.status, 'acknowledged');
  // The rest of the resolved alert's window belongs to it; a later window opens a new alert.
  await c.setStatus(id, 'resolved', 'alice');
  c.accept(finding({ windowStart: T + 60, refresh: true, flows: 99 }));
  await c.flush();
  assert.equal(c.list({}).length, 1);
  c.accept(finding({ windowStart: T + 120 }));
  await c.flush();
  const all = c.list({});
  assert.equal(all.length, 2);
  assert.deepEqual(all.map((a) => a.status).sort(), ['open', 'resolved']);
  assert.deepEqual(s.events.map(([e]) => e), ['opened', 'acknowledged', 'resolved', 'opened']);
  await assert.rejects(c.setStatus('al_nope', 'resolved', 'x'), /no alert with id 'al_nope'/);
  s.done();
});

test('alerts and their status survive a restart; a replayed input adds no alerts and no flows', async () => {
  const s = setup();
  const c = s.make();
  c.accept(finding());
  c.accept(finding({ windowStart: T + 60 }));
  await c.flush();
  const id = c.list({})[0].id;
  await c.setStatus(id, 'acknowledged', 'bob');
  const before = c.get(id)!;
  const again = s.make();
  const after = again.get(id)!;
  assert.equal(after.status, 'acknowledged');
  assert.equal(after.acknowledged_by, 'bob');
  assert.equal(after.flows, before.flows);
  assert.equal(after.windows, 2);
  again.accept(finding());
  again.accept(finding({ windowStart: T + 60 }));
  await again.flush();
  assert.equal(again.list({}).length, 1);
  assert.equal(again.get(id)!.flows, before.flows);
  assert.equal(again.get(id)!.windows, 2);
  s.done();
});

test('status changes appended by another process apply to the running center', async () => {
  const s = setup();
  const c = s.make();
  c.accept(finding());
  await c.flush();
  const id = c.list({})[0].id;
  // The CLI appends to the same file.
  await new AlertLog(s.dir).setStatus({ id, status: 'resolved', by: 'cli', at: new Date().toISOString() });
  assert.equal(c.get(id)!.status, 'resolved');
  c.accept(finding({ windowStart: T + 120 }));
  await c.flush();
  assert.equal(c.list({ status: ['open'] }).length, 1);
  // The folded file agrees.
  const onDisk: Alert[] = [...new AlertLog(s.dir).readAll().values()];
  assert.deepEqual(onDisk.map((a) => a.status).sort(), ['open', 'resolved']);
  s.done();
});

test('compaction keeps the state and drops the history', async () => {
  const s = setup();
  const c = s.make();
  for (let w = 0; w < 50; w++) {
    c.accept(finding({ windowStart: T + w * 60 }));
    await c.flush();
  }
  const id = c.list({})[0].id;
  await c.setStatus(id, 'acknowledged', 'carol');
  const log = new AlertLog(s.dir);
  const big = log.size();
  await c.compact();
  assert.ok(log.size() < big / 10, `${log.size()} vs ${big}`);
  const back = log.readAll().get(id)!;
  assert.equal(back.windows, 50);
  assert.equal(back.status, 'acknowledged');
  s.done();
});

test('filters: status, severity, detector, time overlap and account visibility', async () => {
  const s = setup();
  const c = s.make();
  c.accept(finding());
  c.accept(finding({ key: 'b', detector: 'brute_force', rule: 'brute_force', severity: 'low', windowStart: T + 3600, entities: { addresses: [], interfaces: [], ports: [], protocols: [], accounts: ['222'], vpcs: [], subnets: [] } }));
  await c.flush();
  assert.equal(c.list({ severity: ['low'] })[0].key, 'b');
  assert.equal(c.list({ detector: ['horizontal_scan'] })[0].key, '10.0.0.9|6|445');
  assert.deepEqual(c.list({ from: T + 3000 }).map((a) => a.key), ['b']);
  assert.deepEqual(c.list({ to: T + 60 }).map((a) => a.key), ['10.0.0.9|6|445']);
  assert.deepEqual(c.list({ accounts: ['222'] }).map((a) => a.key), ['b']);
  assert.equal(c.list({ accounts: ['*'] }).length, 2);
  assert.equal(c.list({ accounts: [] }).length, 0);
  s.done();
});

test('auto-resolve closes alerts quiet for long enough in record time', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-alerts-'));
  const c = new AlertCenter(new AlertLog(dir), { autoResolveSeconds: 600 });
  c.accept(finding());
  c.accept(finding({ key: 'busy' }));
  await c.flush();
  c.accept(finding({ key: 'busy', windowStart: T + 900 }));
  await c.flush();
  await new Promise((r) => setTimeout(r, 50));
  const byKey = Object.fromEntries(c.list({}).map((a) => [a.key, [a.status, a.resolved_by]]));
  assert.deepEqual(byKey, { '10.0.0.9|6|445': ['resolved', 'auto-resolve'], busy: ['open', undefined] });
  fs.rmSync(dir, { recursive: true });
});

test('a rule holds at most so many open alerts; findings about more keys are counted and dropped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-alerts-'));
  const { MetricsRegistry } = await import('../metrics/registry.js');
  const metrics = new MetricsRegistry();
  const c = new AlertCenter(new AlertLog(dir), { maxActivePerRule: 3, metrics });
  for (let i = 0; i < 5; i++) c.accept(finding({ key: `k${i}` }));
  c.accept(finding({ key: 'k0', windowStart: T + 60 })); // an existing alert still updates
  await c.flush();
  assert.deepEqual(c.list({}).map((a) => [a.key, a.windows]).sort(), [['k0', 2], ['k1', 1], ['k2', 1]]);
  assert.equal(metrics.counter('flowlogs_findings_dropped_total', '').get({ rule: 'horizontal_scan' }), 2);
  await c.setStatus(c.list({}).find((a) => a.key === 'k1')!.id, 'resolved', 'x');
  c.accept(finding({ key: 'k3', windowStart: T + 60 }));
  await c.flush();
  assert.ok(c.list({}).some((a) => a.key === 'k3'));
  fs.rmSync(dir, { recursive: true });
});
