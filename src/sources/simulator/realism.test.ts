import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp } from '../../schema/ip.js';
import type { FlowRecord } from '../../schema/batch.js';
import { EGRESS, INGRESS, PolicyEngine } from '../../policy/index.js';
import { Simulator, loadExampleInventory, countryOf, SCENARIOS, DEFAULT_START_TIME } from './index.js';
import { discardingSink, looksLikeReply, runWindows } from './test-support.js';

const inventory = loadExampleInventory();
const tier = (addr: string) => inventory.eniByIp(addr)?.tags.tier;
const PEAK = DEFAULT_START_TIME + 15 * 3600; // 15:00 UTC, the default peak

// Two peak-hour windows with every scenario in the second: the records most tests look at.
const sim = new Simulator(inventory, { seed: 2024, flowsPerWindow: 20000, startTime: PEAK, scenarios: SCENARIOS.map((name) => ({ name, atWindow: 1 })) });
const windows = runWindows(sim, 2);
const everyday = windows[0].records;
const all = windows.flatMap((w) => w.records);

test('every record’s verdict and rule are what the policy engine decides at that interface', () => {
  const engine = new PolicyEngine(inventory);
  const w = new Uint32Array(4);
  let rejects = 0;
  for (const r of all) {
    const eni = inventory.eni(r.interface_id)!;
    const egress = r.direction === 'egress';
    w.set(parseIp(egress ? r.dst_addr : r.src_addr)!);
    const d = engine.evaluateInterface(eni, egress ? EGRESS : INGRESS, r.protocol, w, 0, r.src_port, r.dst_port, looksLikeReply(r));
    assert.equal(r.action, d.action, `${JSON.stringify(r)}`);
    assert.equal(r.rule_id, d.ruleId, `${JSON.stringify(r)}`);
    if (r.action === 'REJECT') rejects++;
  }
  assert.ok(rejects > 100, 'rejections are part of the picture');
});

test('tiers talk on their ports', () => {
  // Service ports of the example network (examples/inventory.yaml): what each tier's groups admit.
  const allowed: Record<string, number[]> = {
    'web>app': [8080],
    'app>cache': [6379],
    'app>nat': [3128],
    'batch>nat': [3128],
    'batch>db': [5432],
    'db>db': [5432, 3306],
    'bastion>*': [22],
    'monitoring>*': [9100],
    '*>dns': [53, 123],
  };
  const seen = new Set<string>();
  for (const r of everyday) {
    if (r.direction !== 'egress' || r.action !== 'ACCEPT' || looksLikeReply(r)) continue;
    const from = tier(r.src_addr);
    const to = tier(r.dst_addr);
    if (!from || !to) continue;
    const key = `${from}>${to}`;
    const ports = [...(allowed[key] ?? []), ...(allowed[`*>${to}`] ?? []), ...(allowed[`${from}>*`] ?? [])];
    if (key === 'app>db') ports.push(inventory.eniByIp(r.dst_addr)!.tags.engine === 'mysql' ? 3306 : 5432);
    assert.ok(ports.includes(r.dst_port), `${key} on ${r.dst_port}`);
    seen.add(key);
  }
  for (const k of ['web>app', 'app>db', 'app>cache', 'app>nat', 'app>dns', 'web>dns', 'db>db', 'batch>db', 'monitoring>web', 'bastion>app']) assert.ok(seen.has(k), `no ${k} traffic`);
  // Internet clients reach the web tier on 443 and 80 (and ping it).
  const toWeb = everyday.filter((r) => r.direction === 'ingress' && r.action === 'ACCEPT' && tier(r.dst_addr) === 'web' && !inventory.eniByIp(r.src_addr));
  const ports = new Map<number, number>();
  for (const r of toWeb) if (r.protocol === 6) ports.set(r.dst_port, (ports.get(r.dst_port) ?? 0) + 1);
  assert.deepEqual([...ports.keys()].sort((a, b) => a - b), [80, 443]);
  assert.ok(ports.get(443)! > 3 * ports.get(80)!, 'mostly HTTPS');
  assert.ok(toWeb.some((r) => r.protocol === 1 && r.dst_port === 8 << 8), 'uptime pings');
  assert.ok(toWeb.some((r) => r.src_addr.includes(':')), 'IPv6 clients too');
});

test('clients use ephemeral ports; requests get answers from the service port', () => {
  const requests = everyday.filter((r) => (r.protocol === 6 || r.protocol === 17) && !looksLikeReply(r));
  assert.ok(requests.every((r) => r.src_port >= 32768 || r.dst_port < 1024), 'only the broadcast scenario uses fixed client ports');
  const key = (r: FlowRecord) => `${r.interface_id}|${r.src_addr}|${r.src_port}|${r.dst_addr}|${r.dst_port}|${r.protocol}`;
  const byKey = new Set(everyday.map(key));
  const answered = requests.filter((r) => r.action === 'ACCEPT' && r.direction === 'ingress');
  const withReply = answered.filter((r) => byKey.has(key({ ...r, src_addr: r.dst_addr, dst_addr: r.src_addr, src_port: r.dst_port, dst_port: r.src_port })));
  assert.equal(withReply.length, answered.length, 'every accepted request has its reply at the same interface');
});

test('rejected connections show few packets, a bare SYN, and no reply', () => {
  const rejected = all.filter((r) => r.action === 'REJECT' && r.protocol === 6 && r.direction === 'ingress' && !looksLikeReply(r));
  assert.ok(rejected.length > 50);
  const key = (iface: string, src: string, sp: number, dst: string, dp: number) => `${iface}|${src}|${sp}|${dst}|${dp}`;
  const present = new Set(all.map((x) => key(x.interface_id, x.src_addr, x.src_port, x.dst_addr, x.dst_port)));
  for (const r of rejected) {
    assert.ok(r.packets <= 3, `${r.packets} packets`);
    assert.equal(r.tcp_flags, 2, 'SYN only');
    assert.ok(!present.has(key(r.interface_id, r.dst_addr, r.dst_port, r.src_addr, r.src_port)), 'no reply');
  }
});

test('sizes are heavy-tailed and answers outweigh requests', () => {
  const replies = everyday.filter((r) => r.direction === 'egress' && r.action === 'ACCEPT' && tier(r.src_addr) === 'web' && r.src_port === 443 && !inventory.eniByIp(r.dst_addr));
  const requests = everyday.filter((r) => r.direction === 'ingress' && r.action === 'ACCEPT' && tier(r.dst_addr) === 'web' && r.dst_port === 443 && !inventory.eniByIp(r.src_addr));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rep = replies.map((r) => r.bytes);
  const req = requests.map((r) => r.bytes);
  assert.ok(rep.length > 1000);
  assert.ok(median(rep) > 5 * median(req), `answers ${median(rep)} vs requests ${median(req)} bytes`);
  assert.ok(Math.max(...rep) > 100 * median(rep), 'a long tail of big transfers');
  for (const r of [...replies, ...requests]) assert.ok(r.bytes >= r.packets * 40, 'at least a header per packet');
  const flags = new Set(everyday.filter((r) => r.protocol === 6 && r.action === 'ACCEPT').map((r) => r.tcp_flags));
  assert.ok(flags.has(27) && flags.has(24), 'complete connections (SYN FIN PSH ACK) and ongoing ones (PSH ACK)');
});

test('internet clients come from many countries, the busiest first', () => {
  const counts = new Map<string, number>();
  for (const r of everyday) {
    if (r.direction !== 'ingress' || inventory.eniByIp(r.src_addr)) continue;
    const c = countryOf(parseIp(r.src_addr)!);
    if (c) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.ok(counts.size >= 25, `${counts.size} countries`);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  assert.equal(top, 'US');
});

test('load follows the day: the afternoon peak is several times the night trough', () => {
  const at = (startTime: number) => new Simulator(inventory, { seed: 11, flowsPerWindow: 20000, startTime }).nextWindow(discardingSink()).flows;
  const peak = at(PEAK);
  const trough = at(PEAK - 12 * 3600);
  const evening = at(PEAK + 6 * 3600);
  assert.ok(peak / trough > 3, `peak ${peak}, trough ${trough}`);
  assert.ok(evening < peak && evening > trough, `evening ${evening}`);
  assert.ok(peak > 15000 && peak < 30000, `peak window ${peak} records for 20000 asked`);
});
