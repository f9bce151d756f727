// Past one machine, end to end: NATS JetStream and two ClickHouse servers (Debian's 18.16) as a
// two-shard cluster, two collectors and two writers as processes. Exporter traffic flows in
// while a writer is killed with -9 and restarted and NATS is stopped for a while and started
// again. Afterwards every flow sent is stored exactly once, and `serve --store clickhouse://…`
// answers the query and analysis battery as the embedded store answers for the same datagrams.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { startClickHouse, type TestClickHouse } from '../clickhouse/server.js';
import { freePort } from '../sinks/servers/ports.js';
import { SAME_ANSWER_QUERIES } from '../stores/query-suite.js';
import { NatsServer } from './nats.js';
import { api, RoleProcess } from './processes.js';
import { BYTES_BASE, FLOWS_PER_DATAGRAM, send, T0 } from './traffic.js';

const DATAGRAMS = 4800;
const TOTAL = DATAGRAMS * FLOWS_PER_DATAGRAM;
const RATE = 160; // datagrams per second: the traffic lasts 30 s

let dir: string;
let ch: TestClickHouse;
let nats: NatsServer;
let storeUrl: string;
const roles: RoleProcess[] = [];
let embedded: RoleProcess;
let served: RoleProcess;

function role(name: string, args: string[], env: Record<string, string> = {}): RoleProcess {
  const r = new RoleProcess(name, args, env);
  roles.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-cluster-'));
  ch = await startClickHouse(2);
  nats = new NatsServer(path.join(dir, 'nats'));
  await nats.start();
  storeUrl = ch.storeUrl('flowlogs');
});

after(async () => {
  await Promise.all(roles.map((r) => r.stop(5000)));
  await nats?.remove();
  await ch?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('every flow sent through collectors, NATS and writers is stored once, across a kill -9 and a NATS outage', async (t) => {
  const config = path.join(dir, 'flowlogs.yaml');
  fs.writeFileSync(
    config,
    YAML.stringify({
      bus: { url: nats.url, stream: 'FLOWLOGS_TEST', subject: 'flowlogs.test', partitions: 4, duplicate_window_s: 900, timeout_ms: 3000 },
      // No store URL here: the roles are given it with --store.
      store: { data: path.join(dir, 'serve-data') },
      write: { insert_rows: 30_000, insert_wait_ms: 300, ack_wait_s: 8, metrics_listen: '' },
      collect: { metrics_listen: '' },
      collectors: { decoders: 1 },
      enrich: { geo: false },
      server: { port: 0 },
    }),
  );
  // The embedded store gets the same datagrams through its own collector.
  const embeddedPort = await freePort();
  const embeddedConfig = path.join(dir, 'embedded.yaml');
  fs.writeFileSync(embeddedConfig, YAML.stringify({ store: { data: path.join(dir, 'embedded-data'), flush_ms: 200 }, collectors: { listen: [`127.0.0.1:${embeddedPort}`], decoders: 1 }, enrich: { geo: false }, server: { port: 0 } }));
  embedded = role('embedded', ['serve', '--config', embeddedConfig]);

  const writer = (n: number) => role(`writer${n}`, ['write', '--config', config, '--store', storeUrl, '--name', `w${n}`]);
  let w1 = writer(1);
  const w2 = writer(2);
  const ports = [await freePort(), await freePort()];
  const collectors = ports.map((port, i) =>
    role(`collector${i + 1}`, ['collect', '--config', config, '--name', `c${i + 1}`, '--queue', path.join(dir, `queue${i + 1}`)], { FLOWLOGS_COLLECTORS__LISTEN: JSON.stringify([`127.0.0.1:${port}`]) }),
  );
  for (const r of [w1, w2]) await r.waitFor(/flowlogs write: /);
  for (const r of collectors) await r.waitFor(/flowlogs collect c\d: /);
  await embedded.waitFor(/flowlogs http:\/\/[\d.]+:\d+/);

  const sending = send({ from: 0, to: DATAGRAMS, total: DATAGRAMS, perSecond: RATE, targets: ports, always: [embeddedPort] });
  await sleep(6000);
  await w1.kill9();
  t.diagnostic('writer 1 killed with -9');
  await sleep(5000);
  w1 = writer(1);
  await w1.waitFor(/flowlogs write: /);
  t.diagnostic('writer 1 restarted');
  await sleep(4000);
  await nats.stop();
  t.diagnostic('NATS stopped');
  await sleep(7000);
  await nats.start();
  t.diagnostic('NATS started again');
  assert.equal(await sending, DATAGRAMS);

  const store = new ClickHouseStore({ url: storeUrl, createSchema: false });
  const counts = async () => {
    const [n, distinct, lo, hi] = (await store.text(`SELECT count(), uniqExact(bytes), min(bytes), max(bytes) FROM flowlogs.flows`)).trim().split('\t').map(Number);
    return { n, distinct, lo, hi };
  };
  const until = Date.now() + 180_000;
  let c = await counts();
  while (c.n < TOTAL && Date.now() < until) {
    await sleep(1000);
    c = await counts();
  }
  // Redeliveries after the outage arrive within an ack wait or two: nothing may come twice.
  await sleep(20_000);
  c = await counts();
  const diag = roles.map((r) => `--- ${r.name}\n${r.log.slice(-1500)}`).join('\n');
  assert.equal(c.distinct, TOTAL, `distinct flows stored (lost ${TOTAL - c.distinct})\n${diag}`);
  assert.equal(c.n, TOTAL, `rows stored (doubled ${c.n - c.distinct})`);
  assert.deepEqual([c.lo, c.hi], [BYTES_BASE, BYTES_BASE + TOTAL - 1]);
  // Both shards hold part of the flows, and both days (partitions) are there.
  for (const s of ch.servers) {
    const local = Number((await s.query('SELECT count() FROM flowlogs.flows_local')).trim());
    assert.ok(local > 0 && local < TOTAL, `a shard holds ${local} of ${TOTAL}`);
  }
  const days = (await store.text(`SELECT DISTINCT toYYYYMMDD(toDateTime(start, 'UTC')) FROM flowlogs.flows ORDER BY 1`)).trim().split('\n');
  assert.equal(days.length, 2);
  // The rollup tiers saw every flow once too.
  const tier = Number((await store.text('SELECT sum(flows) FROM flowlogs.flows_iface_1m')).trim());
  assert.equal(tier, TOTAL);
  await store.stop();
});

test('serve --store clickhouse://… answers as the embedded store does for the same input', async () => {
  served = role('served', ['serve', '--config', path.join(dir, 'flowlogs.yaml'), '--store', storeUrl, '--no-collectors']);
  const a = `http://${(await served.waitFor(/flowlogs http:\/\/([\d.]+:\d+)/))[1]}`;
  const b = `http://${(await embedded.waitFor(/flowlogs http:\/\/([\d.]+:\d+)/))[1]}`;
  const from = T0 - 3600;
  const to = T0 + 3600;
  const count = async (base: string) => ((await api(base, '/api/query', { query: '| SELECT count(*)', from, to })) as { rows: number[][] }).rows[0][0];
  const until = Date.now() + 60_000;
  while ((await count(b)) < TOTAL && Date.now() < until) await sleep(500);
  assert.equal(await count(b), TOTAL, 'the embedded store has every flow');
  assert.equal(await count(a), TOTAL);
  const queries = [
    ...SAME_ANSWER_QUERIES.filter((q) => q.includes('|')),
    '| SELECT exporter, in_if, out_if, sum(bytes) AS b GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
    'dst_addr:192.168.1.0/24 | SELECT interface_id, dst_port, count(*) AS n, quantile(bytes, 0.9) AS q GROUP BY 1, 2 ORDER BY 1, 2',
  ];
  let answered = 0;
  for (const query of queries) {
    const [x, y] = await Promise.all([a, b].map((base) => api(base, '/api/query', { query, from, to }) as Promise<{ rows: unknown[]; count: number }>));
    if (y.count > 0) answered++;
    assert.deepEqual(x.rows, y.rows, query);
  }
  // Two of the battery's questions are about ENIs and scans, which this traffic has none of.
  assert.ok(answered >= queries.length - 2, `${answered} of ${queries.length} queries found rows`);
  // Whole records: the same flows, field for field.
  const listing = async (base: string) => (((await api(base, '/api/query', { query: 'bytes:[100000 TO 100299]', from, to, format: 'json' })) as { rows: unknown[][] }).rows.map((r) => JSON.stringify(r)).sort());
  const [la, lb] = await Promise.all([listing(a), listing(b)]);
  assert.equal(lb.length, 300);
  assert.deepEqual(la, lb);
  const analyses = ['top?by=src&metric=bytes&limit=5', 'top?by=port&metric=flows', 'top?by=dst&metric=peers', 'series?bucket=60', 'mix', 'rejected', 'sankey?source=dst&target=protocol'];
  for (const q of analyses) {
    const [x, y] = await Promise.all([a, b].map((base) => api(base, `/api/analyses/${q}${q.includes('?') ? '&' : '?'}from=${from}&to=${to}`)));
    assert.deepEqual(x, y, q);
  }
});
