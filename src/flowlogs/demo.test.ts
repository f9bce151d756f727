// End to end: the demo service (simulator → pipeline → store) with flow logs wired in. A flow
// log created for a subnet while it runs yields, within one window, a record for every ENI of
// that subnet (traffic, or NODATA for the quiet ones), stored with the flow log's id.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DemoFeed } from '../cli/demo.js';
import { Service } from '../cli/service.js';
import { loadConfig } from '../config/load.js';
import { exampleInventoryPath, loadExampleInventory } from '../sources/simulator/index.js';
import { silentLogger } from '../util/log.js';
import { FlowLogRegistry } from './registry.js';

test('a flow log created for a subnet in the running demo yields records for all its ENIs within one window', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-demo-fl-'));
  const config = loadConfig(undefined, {});
  config.raw.inventory = { file: exampleInventoryPath() };
  config.raw.flowlogs = { lateness_seconds: 1, flush_interval_ms: 100 };
  const service = new Service(config, { host: '127.0.0.1', port: 0, data: dir, collectors: false }, silentLogger);
  service.add(new DemoFeed(service, { windowSeconds: 1, backfillSeconds: 0, flowsPerWindow: 3000, seed: 7 }));
  await service.start();
  try {
    const inventory = loadExampleInventory();
    const subnet = inventory.subnet('subnet-prod-app-a')!;
    const expected = subnet.enis.map((e) => e.id).sort();
    assert.ok(expected.length >= 5, 'a subnet with several ENIs');

    // Created as the CLI does, from outside the service: the service's registry notices the file.
    const window = 2;
    const log = await FlowLogRegistry.open(dir).create({ name: 'app-a', scope_id: subnet.id, window }, inventory);
    const created = Date.now() / 1000;
    const t0 = Date.now();
    while (!service.ingest!.flowLogs.registry.get(log.id) && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(service.ingest!.flowLogs.registry.get(log.id), 'the running service has the flow log within 2 s');

    // The first window that starts after the flow log took effect, once closed and stored.
    const first = Math.ceil((created + 0.6) / window) * window;
    let rows: Array<[string, string, number]> = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await service.store.sql(`SELECT interface_id, log_status, "start" FROM flows WHERE flow_log_id = '${log.id}' AND "start" = ${first}`, { from: first - 60, to: first + 60 });
      rows = res.rows as Array<[string, string, number]>;
      if (new Set(rows.map((r) => r[0])).size >= expected.length) break;
    }
    const ifaces = [...new Set(rows.map((r) => r[0]))].sort();
    assert.deepEqual(ifaces, expected, `records of window ${first} for every ENI of ${subnet.id}`);
    assert.ok(rows.some((r) => r[1] === 'OK'), 'simulated traffic is among them');

    // Nothing outside the subnet carries the flow log's id; the rest of the traffic is still stored as it was.
    const outside = await service.store.sql(`SELECT count(*) FROM flows WHERE flow_log_id = '${log.id}' AND subnet_id <> '${subnet.id}'`, { from: first - 60, to: first + 60 });
    assert.equal(Number(outside.rows[0][0]), 0);
    const uncovered = await service.store.sql(`SELECT count(*) FROM flows WHERE flow_log_id = '' AND "start" >= ${first}`, { from: first - 60, to: first + 60 });
    assert.ok(Number(uncovered.rows[0][0]) > 0);
  } finally {
    await service.stop();
  }
});
