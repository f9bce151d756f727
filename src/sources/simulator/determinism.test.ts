import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp } from '../../schema/ip.js';
import { FlowBatch } from '../../schema/batch.js';
import { BatchCollector } from '../source.js';
import { Simulator, loadExampleInventory, DEFAULT_START_TIME } from './index.js';
import { runWindows } from './test-support.js';

const inventory = loadExampleInventory();

test('the same seed gives identical records; another seed gives different ones', () => {
  const opts = { seed: 42, flowsPerWindow: 3000, scenarios: [{ name: 'vertical_scan', atWindow: 1 }] };
  const a = runWindows(new Simulator(inventory, opts), 3);
  const b = runWindows(new Simulator(inventory, opts), 3);
  assert.deepEqual(a, b);
  assert.ok(a.every((w) => w.records.length > 1000));
  const c = runWindows(new Simulator(inventory, { ...opts, seed: 43 }), 3);
  assert.notDeepEqual(a[0].records, c[0].records);
  assert.notDeepEqual(a[2].records, c[2].records);
});

test('everyday traffic does not change when scenarios are added', () => {
  const plain = runWindows(new Simulator(inventory, { seed: 5, flowsPerWindow: 2000 }), 2);
  const withScenario = runWindows(new Simulator(inventory, { seed: 5, flowsPerWindow: 2000, scenarios: [{ name: 'ssh_brute_force', atWindow: 1 }] }), 2);
  assert.deepEqual(withScenario[0], plain[0], 'before the scenario starts, every record is the same');
  assert.ok(withScenario[1].records.length > plain[1].records.length);
  // Once it runs, it only adds records.
  const key = (r: (typeof plain)[0]['records'][0]) => JSON.stringify(r);
  const added = new Set(withScenario[1].records.map(key));
  for (const r of plain[1].records) assert.ok(added.has(key(r)));
});

test('windows follow each other from the start time; packet times are whole seconds inside them', () => {
  const sim = new Simulator(inventory, { seed: 1, flowsPerWindow: 1000, windowSeconds: 30 });
  const ws = runWindows(sim, 3);
  assert.equal(ws[0].start, DEFAULT_START_TIME, 'default start: 2026-01-01T00:00:00Z');
  ws.forEach((w, i) => {
    assert.equal(w.start, DEFAULT_START_TIME + 30 * i);
    assert.equal(w.end, w.start + 30);
    for (const r of w.records) {
      assert.equal(r.start, w.start);
      assert.equal(r.end, w.end);
      assert.ok(r.first_ms >= w.start * 1000 && r.last_ms < w.end * 1000, 'inside the window');
      assert.ok(r.first_ms <= r.last_ms);
      assert.equal(r.first_ms % 1000, 0);
      assert.equal(r.last_ms % 1000, 0);
    }
  });
  const live = new Simulator(inventory, { seed: 1, flowsPerWindow: 100, startTime: 1800000000 });
  assert.equal(live.nextWindow(new BatchCollector(() => {})).start, 1800000000);
});

test('records are grouped by interface and carry the inventory’s ids, MACs and addresses', () => {
  const [w] = runWindows(new Simulator(inventory, { seed: 9, flowsPerWindow: 4000, scenarios: [{ name: 'broadcast_storm', atWindow: 0 }] }), 1);
  const seen = new Set<string>();
  let prev = '';
  for (const r of w.records) {
    if (r.interface_id !== prev) {
      assert.ok(!seen.has(r.interface_id), `${r.interface_id} appears in two separate runs`);
      seen.add(r.interface_id);
      prev = r.interface_id;
    }
    const eni = inventory.eni(r.interface_id);
    assert.ok(eni, `unknown interface ${r.interface_id}`);
    assert.equal(r.account_id, eni.accountId);
    assert.equal(r.vpc_id, eni.vpc.id);
    assert.equal(r.subnet_id, eni.subnet.id);
    assert.equal(r.instance_id, eni.instanceId);
    assert.equal(r.log_status, 'OK');
    assert.equal(r.sampling_rate, 1);
    assert.equal(r.exporter, '::', 'not produced by an exporter');
    assert.equal(r.version, 5);
    const local = r.direction === 'egress' ? r.src_addr : r.dst_addr;
    assert.ok(eni.ips.some((ip) => parseIp(ip)!.join() === parseIp(local)!.join()), `${local} is not an address of ${eni.id}`);
    const localMac = r.direction === 'egress' ? r.src_mac : r.dst_mac;
    assert.equal(localMac, eni.macText);
  }
  assert.ok(seen.size >= 50, `records from ${seen.size} interfaces`);
  const storm = w.records.filter((r) => r.dst_addr === '255.255.255.255');
  assert.ok(storm.length > 0 && storm.every((r) => r.dst_mac === 'ff:ff:ff:ff:ff:ff'));
  // Inside one subnet the peer's MAC is on the wire; across subnets, the router's.
  const sameSubnet = w.records.find((r) => r.direction === 'egress' && inventory.eniByIp(r.dst_addr)?.subnet.id === r.subnet_id && inventory.eniByIp(r.dst_addr)?.id !== r.interface_id);
  assert.ok(sameSubnet);
  assert.equal(sameSubnet.dst_mac, inventory.eniByIp(sameSubnet.dst_addr)!.macText);
});

test('small batches: every row arrives, grouping and dictionary strings survive batch boundaries', () => {
  const batches: FlowBatch[] = [];
  const sink = new BatchCollector((b) => batches.push(b), 97);
  const sim = new Simulator(inventory, { seed: 3, flowsPerWindow: 1500 });
  const { flows } = sim.nextWindow(sink);
  sink.flush();
  assert.equal(
    batches.reduce((n, b) => n + b.length, 0),
    flows,
  );
  const [reference] = runWindows(new Simulator(inventory, { seed: 3, flowsPerWindow: 1500 }), 1);
  const rows = batches.flatMap((b) => [...b.rows()]);
  assert.deepEqual(rows, reference.records);
});

test('a batch reset and reused by the sink gets its strings interned again', () => {
  const batch = new FlowBatch(500);
  let delivered = 0;
  let firstInterface = '';
  const sink = {
    room() {
      if (batch.full) {
        if (!firstInterface) firstInterface = batch.getString('interface_id', 0);
        delivered += batch.length;
        for (let i = 0; i < batch.length; i++) assert.ok(inventory.eni(batch.getString('interface_id', i)), 'every row names a known interface');
        batch.reset();
      }
      return batch;
    },
  };
  const { flows } = new Simulator(inventory, { seed: 3, flowsPerWindow: 3000 }).nextWindow(sink);
  delivered += batch.length;
  for (let i = 0; i < batch.length; i++) assert.ok(inventory.eni(batch.getString('interface_id', i)));
  assert.equal(delivered, flows);
  assert.ok(firstInterface);
});

test('bad options are refused with a clear message', () => {
  assert.throws(() => new Simulator(inventory, { seed: 1, windowSeconds: 0 }), /windowSeconds must be a whole number of seconds from 1 to 3600/);
  assert.throws(() => new Simulator(inventory, { seed: 1, scenarios: [{ name: 'nope' }] }), /unknown scenario 'nope' \(known: horizontal_scan, /);
  assert.throws(() => new Simulator(inventory, { seed: 1, scenarios: [{ name: 'vertical_scan', windows: 0 }] }), /atWindow >= 0 and windows >= 1/);
  assert.throws(() => new Simulator(inventory, { seed: Number.NaN }), /seed must be a number/);
});
