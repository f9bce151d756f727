import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StaticInventory, type InventorySource } from '../inventory/current-inventory.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { parseSmall } from '../inventory/test-fixture.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { FlowBatch, type FlowRecord } from '../schema/batch.js';
import type { FlowLog } from './flow-log.js';
import type { FlowLogSource } from './registry.js';
import { FlowLogStage } from './stage.js';
import { flowLogStoreFilter } from './store-filter.js';

// Window starts used below: all multiples of 60 (and so of 10).
const T0 = 1_700_000_040;

function inventory(): InventoryIndex {
  return parseSmall((d) => {
    d.enis.push({ id: 'eni-web2', mac: '02:00:00:00:00:03', ips: ['10.0.0.11'], subnet: 'subnet-pub', instance_id: 'i-web2', security_groups: ['sg-web'] });
  });
}

class Logs implements FlowLogSource {
  private fns: Array<() => void> = [];
  constructor(public logs: FlowLog[]) {}
  list() {
    return this.logs;
  }
  onChange(fn: () => void) {
    this.fns.push(fn);
    return () => {};
  }
  set(logs: FlowLog[]) {
    this.logs = logs;
    for (const f of this.fns) f();
  }
}

class MutableInventory implements InventorySource {
  private fns: Array<() => void> = [];
  constructor(public index: InventoryIndex | undefined) {}
  get() {
    return this.index;
  }
  onChange(fn: () => void) {
    this.fns.push(fn);
    return () => {};
  }
  set(i: InventoryIndex) {
    this.index = i;
    for (const f of this.fns) f();
  }
}

function fl(id: string, scope_type: FlowLog['scope_type'], scope_id: string, extra: Partial<FlowLog> = {}): FlowLog {
  return { id, name: id, scope_type, scope_id, traffic_type: 'ALL', window_seconds: 60, destinations: ['store'], enabled: true, created: '', updated: '', ...extra };
}

type Rec = Partial<Record<keyof FlowRecord, string | number>>;

function rec(iface: string, r: Rec = {}): Rec {
  return {
    interface_id: iface,
    src_addr: '10.0.0.10',
    dst_addr: '10.0.1.20',
    src_port: 40000,
    dst_port: 8080,
    protocol: 6,
    packets: 1,
    bytes: 100,
    start: T0,
    end: T0 + 10,
    action: 'ACCEPT',
    direction: 'egress',
    ...r,
  };
}

function rows(batches: FlowBatch[]): FlowRecord[] {
  return batches.flatMap((b) => [...b.rows()]);
}

function clock(startMs: number) {
  const c = { t: startMs, now: () => c.t };
  return c;
}

test('covered records are summed per flow log and window; uncovered ones pass unchanged', () => {
  const c = clock(T0 * 1000);
  const logs = new Logs([fl('fl-pub', 'subnet', 'subnet-pub'), fl('fl-web', 'eni', 'eni-web', { traffic_type: 'ACCEPT', window_seconds: 10 })]);
  const stage = new FlowLogStage({ flowLogs: logs, inventory: new StaticInventory(inventory()), now: c.now, latenessMs: 2000 });
  const input = FlowBatch.fromRecords([
    rec('eni-web', { packets: 2, bytes: 200, tcp_flags: 2, first_ms: T0 * 1000 + 1500, last_ms: T0 * 1000 + 2000 }),
    rec('eni-web', { packets: 3, bytes: 300, tcp_flags: 16, first_ms: T0 * 1000 + 1000, last_ms: T0 * 1000 + 9000 }),
    rec('eni-web', { action: 'REJECT', dst_port: 22, packets: 1, bytes: 60 }),
    rec('eni-web2', { src_addr: '10.0.0.11', packets: 5, bytes: 500 }),
    rec('eni-app', { direction: 'ingress', packets: 7, bytes: 700 }),
    rec('192.0.2.1/3', { packets: 9 }),
  ]);
  const out = stage.process(input);
  assert.ok(out instanceof FlowBatch);
  const kept = [...out.rows()];
  assert.deepEqual(
    kept.map((r) => [r.interface_id, r.flow_log_id, r.packets]),
    [
      ['eni-app', '', 7],
      ['192.0.2.1/3', '', 9],
    ],
  );
  // Nothing is emitted while the windows are open.
  assert.equal(stage.flushDue(T0 * 1000 + 5000).length, 0);
  assert.equal(stage.openRows, 4);

  // The 10 s window of fl-web closes at T0+10 (+2 s lateness).
  const first = rows(stage.flushDue((T0 + 12) * 1000));
  const web = first.filter((r) => r.flow_log_id === 'fl-web');
  assert.equal(web.length, 1, 'ACCEPT traffic only, summed into one row');
  assert.equal(web[0].packets, 5);
  assert.equal(web[0].bytes, 500);
  assert.equal(web[0].tcp_flags, 18);
  assert.equal(web[0].first_ms, T0 * 1000 + 1000);
  assert.equal(web[0].last_ms, T0 * 1000 + 9000);
  assert.equal(web[0].start, T0);
  assert.equal(web[0].end, T0 + 10);
  assert.equal(web[0].vpc_id, 'vpc-1');
  assert.equal(web[0].subnet_id, 'subnet-pub');
  assert.equal(web[0].instance_id, 'i-web');
  assert.equal(web[0].account_id, '123456789012');
  assert.ok(!first.some((r) => r.flow_log_id === 'fl-pub'), 'the 60 s window is still open');

  const second = rows(stage.flushDue((T0 + 62) * 1000));
  const pub = second.filter((r) => r.flow_log_id === 'fl-pub' && r.log_status === 'OK');
  assert.deepEqual(
    pub.map((r) => [r.interface_id, r.action, r.dst_port, r.packets, r.bytes, r.start, r.end]).sort(),
    [
      ['eni-web', 'ACCEPT', 8080, 5, 500, T0, T0 + 60],
      ['eni-web', 'REJECT', 22, 1, 60, T0, T0 + 60],
      ['eni-web2', 'ACCEPT', 8080, 5, 500, T0, T0 + 60],
    ].sort(),
  );
  assert.equal(stage.openRows, 0);
});

test('NODATA for each covered ENI without traffic in a closed window, with inventory fields', () => {
  const c = clock(T0 * 1000 + 500);
  const stage = new FlowLogStage({ flowLogs: new Logs([fl('fl-pub', 'subnet', 'subnet-pub', { window_seconds: 10 })]), inventory: new StaticInventory(inventory()), now: c.now, latenessMs: 1000 });
  // The window in progress when the flow log appeared is not judged; the next one is.
  stage.process(FlowBatch.fromRecords([rec('eni-web', { start: T0 + 10, end: T0 + 20 })]));
  const out = rows(stage.flushDue((T0 + 21) * 1000));
  const byIface = new Map(out.map((r) => [r.interface_id, r]));
  assert.equal(out.length, 2);
  assert.equal(byIface.get('eni-web')!.log_status, 'OK');
  const nodata = byIface.get('eni-web2')!;
  assert.equal(nodata.log_status, 'NODATA');
  assert.equal(nodata.flow_log_id, 'fl-pub');
  assert.equal(nodata.start, T0 + 10);
  assert.equal(nodata.end, T0 + 20);
  assert.equal(nodata.packets, 0);
  assert.equal(nodata.instance_id, 'i-web2');
  assert.equal(nodata.subnet_id, 'subnet-pub');
  // A window with no traffic at all: NODATA for both ENIs.
  const quiet = rows(stage.flushDue((T0 + 31) * 1000));
  assert.deepEqual(quiet.map((r) => [r.interface_id, r.log_status, r.start]).sort(), [
    ['eni-web', 'NODATA', T0 + 20],
    ['eni-web2', 'NODATA', T0 + 20],
  ]);
});

test('incoming NODATA of a covered ENI is replaced by the flow log\'s own; one ENI in two flow logs gets two records', () => {
  const c = clock(T0 * 1000);
  const logs = new Logs([fl('fl-a', 'eni', 'eni-app'), fl('fl-b', 'vpc', 'vpc-1')]);
  const stage = new FlowLogStage({ flowLogs: logs, inventory: new StaticInventory(inventory()), now: c.now, latenessMs: 0 });
  const out = stage.process(FlowBatch.fromRecords([rec('eni-app', { packets: 4 }), rec('eni-app', { log_status: 'NODATA', packets: 0, dst_port: 0 })]));
  assert.equal(out!.length, 0);
  const emitted = rows(stage.flushDue((T0 + 60) * 1000)).filter((r) => r.interface_id === 'eni-app');
  assert.deepEqual(emitted.map((r) => [r.flow_log_id, r.log_status, r.packets]).sort(), [
    ['fl-a', 'OK', 4],
    ['fl-b', 'OK', 4],
  ]);
});

test('keep_uncovered false drops records of interfaces no flow log covers', () => {
  const stage = new FlowLogStage({ flowLogs: new Logs([fl('fl-a', 'eni', 'eni-app')]), inventory: new StaticInventory(inventory()), keepUncovered: false, now: () => T0 * 1000 });
  const out = stage.process(FlowBatch.fromRecords([rec('eni-web'), rec('10.1.1.1/2'), rec('eni-app')]));
  assert.equal(out!.length, 0);
  // Records already stamped with a flow log (cloud imports) are never touched.
  const tagged = FlowBatch.fromRecords([rec('eni-app', { flow_log_id: 'import:abc' })]);
  assert.equal(stage.process(tagged), undefined);
});

test('without an inventory a subnet or VPC flow log covers records by their own subnet_id and vpc_id', () => {
  const stage = new FlowLogStage({ flowLogs: new Logs([fl('fl-s', 'subnet', 'subnet-9'), fl('fl-v', 'vpc', 'vpc-9')]), inventory: new StaticInventory(undefined), now: () => T0 * 1000, latenessMs: 0 });
  const out = stage.process(FlowBatch.fromRecords([rec('eni-x', { subnet_id: 'subnet-9', vpc_id: 'vpc-9' }), rec('eni-y', { subnet_id: 'subnet-8', vpc_id: 'vpc-8' })]));
  assert.deepEqual([...out!.rows()].map((r) => r.interface_id), ['eni-y']);
  const emitted = rows(stage.flushDue((T0 + 60) * 1000));
  assert.deepEqual(emitted.map((r) => `${r.flow_log_id}:${r.interface_id}`).sort(), ['fl-s:eni-x', 'fl-v:eni-x']);
});

test('changes apply at once: disabling flushes the open windows, ENIs added to the inventory are covered', () => {
  const c = clock(T0 * 1000);
  const logs = new Logs([fl('fl-pub', 'subnet', 'subnet-pub')]);
  const inv = new MutableInventory(inventory());
  const stage = new FlowLogStage({ flowLogs: logs, inventory: inv, now: c.now });
  stage.process(FlowBatch.fromRecords([rec('eni-web')]));
  logs.set([{ ...logs.logs[0], enabled: false }]);
  const flushed = rows(stage.flushDue(T0 * 1000 + 100));
  assert.deepEqual(flushed.map((r) => [r.flow_log_id, r.interface_id, r.packets]), [['fl-pub', 'eni-web', 1]]);
  assert.ok(stage.process(FlowBatch.fromRecords([rec('eni-web')])) === undefined, 'a disabled flow log covers nothing');

  logs.set([{ ...logs.logs[0], enabled: true }]);
  const before = stage.process(FlowBatch.fromRecords([rec('eni-new', { src_addr: '10.0.0.99' })]));
  assert.equal(before, undefined, 'not in the inventory yet: uncovered');
  inv.set(
    parseSmall((d) => {
      d.enis.push({ id: 'eni-new', mac: '02:00:00:00:00:09', ips: ['10.0.0.99'], subnet: 'subnet-pub', security_groups: ['sg-web'] });
    }),
  );
  const after = stage.process(FlowBatch.fromRecords([rec('eni-new', { src_addr: '10.0.0.99' })]));
  assert.equal(after!.length, 0, 'now covered by the subnet flow log');
  const emitted = rows(stage.flushAll());
  assert.deepEqual(emitted.map((r) => [r.flow_log_id, r.interface_id]), [['fl-pub', 'eni-new']]);
});

test('past max_rows the oldest windows leave early, counted; emitted batches pass through the stage', () => {
  const metrics = new MetricsRegistry();
  const stage = new FlowLogStage({ flowLogs: new Logs([fl('fl-a', 'eni', 'eni-app', { window_seconds: 1 })]), inventory: new StaticInventory(inventory()), maxRows: 10, now: () => T0 * 1000, metrics });
  const recs: Rec[] = [];
  for (let i = 0; i < 12; i++) recs.push(rec('eni-app', { src_port: 1000 + i, start: T0 + (i < 6 ? 0 : 1), first_ms: (T0 + (i < 6 ? 0 : 1)) * 1000 }));
  const out = stage.process(FlowBatch.fromRecords(recs))!;
  assert.ok(out.length >= 6, 'at least the oldest window came out');
  assert.ok([...out.rows()].every((r) => r.flow_log_id === 'fl-a'));
  assert.ok(stage.openRows <= 5);
  assert.ok(metrics.totalOf('flowlogs_flowlog_early_flushes_total') >= 1);
  const rest = stage.flushAll();
  assert.equal(out.length + rest.reduce((n, b) => n + b.length, 0), 12, 'no record lost');
  for (const b of rest) assert.equal(stage.process(b), undefined);
});

test('the store filter drops rows of flow logs whose destinations leave out the store', () => {
  const destinations = new Map([
    ['fl-s3', ['s3-archive']],
    ['fl-both', ['store', 's3-archive']],
  ]);
  const filter = flowLogStoreFilter({ storesRows: (id) => destinations.get(id)?.includes('store') ?? true });
  const b = FlowBatch.fromRecords([rec('eni-a', { flow_log_id: 'fl-s3' }), rec('eni-b', { flow_log_id: 'fl-both' }), rec('eni-c'), rec('eni-d', { flow_log_id: 'import:1' })]);
  assert.deepEqual([...filter(b).rows()].map((r) => r.interface_id), ['eni-b', 'eni-c', 'eni-d']);
  const all = FlowBatch.fromRecords([rec('eni-b', { flow_log_id: 'fl-both' })]);
  assert.equal(filter(all), all);
});

test('a source\'s NODATA becomes the flow log\'s when the interface had no traffic in the flow log\'s window', () => {
  const stage = new FlowLogStage({ flowLogs: new Logs([fl('fl-pub', 'subnet', 'subnet-pub', { window_seconds: 60 })]), inventory: new StaticInventory(inventory()), now: () => T0 * 1000, latenessMs: 0 });
  // A probe with 10 s windows: eni-web2 idle throughout, eni-web idle once but busy later.
  stage.process(
    FlowBatch.fromRecords([
      rec('eni-web2', { log_status: 'NODATA', packets: 0, start: T0, end: T0 + 10 }),
      rec('eni-web2', { log_status: 'NODATA', packets: 0, start: T0 + 10, end: T0 + 20 }),
      rec('eni-web', { log_status: 'NODATA', packets: 0, start: T0, end: T0 + 10 }),
      rec('eni-web', { start: T0 + 10, end: T0 + 20 }),
    ]),
  );
  const out = rows(stage.flushAll());
  assert.deepEqual(out.map((r) => [r.interface_id, r.log_status, r.flow_log_id, r.start, r.end]).sort(), [
    ['eni-web', 'OK', 'fl-pub', T0, T0 + 60],
    ['eni-web2', 'NODATA', 'fl-pub', T0, T0 + 60],
  ]);
  assert.equal(out.find((r) => r.log_status === 'NODATA')!.instance_id, 'i-web2');
});
