import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { FlowLogRegistry } from '../../flowlogs/registry.js';
import { CurrentInventory, dataDirInventory } from '../../inventory/current-inventory.js';
import { smallInventory } from '../../inventory/test-fixture.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { FlowStore } from '../../store/store.js';
import { silentLogger } from '../../util/log.js';
import { buildApi } from '../server.js';
import { TokenStore } from '../tokens.js';
import { flowLogsRoutes } from './flowlogs.js';

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-api-fl-'));
  const doc = smallInventory();
  // A second tenant's VPC, to check that tokens only see their own flow logs.
  doc.vpcs.push({ id: 'vpc-2', account_id: '222222222222', cidrs: ['10.9.0.0/16'] });
  doc.network_acls.push({ id: 'acl-2', vpc: 'vpc-2', ingress: [], egress: [] });
  doc.subnets.push({ id: 'subnet-other', vpc: 'vpc-2', cidr: '10.9.0.0/24', network_acl: 'acl-2' });
  fs.writeFileSync(dataDirInventory(dir), YAML.stringify(doc));
  const tokens = new TokenStore(path.join(dir, 'tokens.json'));
  const admin = await tokens.create('admin');
  const tenant = await tokens.create('tenant', ['222222222222']);
  const flowLogs = FlowLogRegistry.open(dir);
  const inventory = new CurrentInventory([dataDirInventory(dir)]);
  const ctx = { version: 'test', store: {} as FlowStore, metrics: new MetricsRegistry(), log: silentLogger, tokens, requireToken: true, flowLogs, inventory };
  const app = await buildApi(ctx, [flowLogsRoutes]);
  const call = (method: string, url: string, token: string, payload?: unknown) =>
    app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { app, dir, admin, tenant, flowLogs, call };
}

test('/api/flowlogs: create, list, show, change, enable, disable, delete', async () => {
  const s = await setup();
  const created = await s.call('POST', '/api/flowlogs', s.admin, { name: 'pub', scope_id: 'subnet-pub', traffic_type: 'REJECT', window: '10s' });
  assert.equal(created.statusCode, 201, created.body);
  const fl = created.json();
  assert.match(fl.id, /^fl-/);
  assert.deepEqual([fl.scope_type, fl.traffic_type, fl.window_seconds, fl.destinations, fl.enabled], ['subnet', 'REJECT', 10, ['store'], true]);
  assert.equal(s.flowLogs.get(fl.id)?.name, 'pub', 'persisted through the registry');

  const list = (await s.call('GET', '/api/flowlogs', s.admin)).json();
  assert.deepEqual(list.flow_logs.map((l: { id: string }) => l.id), [fl.id]);
  assert.equal((await s.call('GET', `/api/flowlogs/${fl.id}`, s.admin)).json().name, 'pub');
  assert.equal((await s.call('GET', '/api/flowlogs/pub', s.admin)).json().id, fl.id, 'by name too');

  const patched = await s.call('PATCH', `/api/flowlogs/${fl.id}`, s.admin, { window_seconds: 120, destinations: ['store', 'siem'], scope_id: 'eni-web', traffic_type: 'ALL', name: 'web' });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual(
    (({ window_seconds, destinations, scope_type, scope_id, traffic_type, name }) => ({ window_seconds, destinations, scope_type, scope_id, traffic_type, name }))(patched.json()),
    { window_seconds: 120, destinations: ['store', 'siem'], scope_type: 'eni', scope_id: 'eni-web', traffic_type: 'ALL', name: 'web' },
  );
  assert.equal((await s.call('POST', `/api/flowlogs/${fl.id}/disable`, s.admin)).json().enabled, false);
  assert.equal((await s.call('POST', `/api/flowlogs/${fl.id}/enable`, s.admin)).json().enabled, true);
  const del = await s.call('DELETE', `/api/flowlogs/${fl.id}`, s.admin);
  assert.equal(del.json().deleted.id, fl.id);
  assert.equal((await s.call('GET', `/api/flowlogs/${fl.id}`, s.admin)).statusCode, 404);
  await s.app.close();
});

test('/api/flowlogs refuses bad input with 400 and keeps tenants apart', async () => {
  const s = await setup();
  const bad = await s.call('POST', '/api/flowlogs', s.admin, { scope_id: 'subnet-pub', window: 900 });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /window must be/);
  const unknownField = await s.call('POST', '/api/flowlogs', s.admin, { scope_id: 'subnet-pub', colour: 'red' });
  assert.equal(unknownField.statusCode, 400);
  assert.match(unknownField.json().error, /unknown field 'colour'/);
  const unknownScope = await s.call('POST', '/api/flowlogs', s.admin, { scope_id: 'subnet-nope' });
  assert.equal(unknownScope.statusCode, 400);
  assert.match(unknownScope.json().error, /not a VPC, subnet or ENI of the inventory/);

  const mine = await s.call('POST', '/api/flowlogs', s.tenant, { scope_id: 'subnet-other' });
  assert.equal(mine.statusCode, 201, mine.body);
  const theirs = await s.call('POST', '/api/flowlogs', s.tenant, { scope_id: 'subnet-pub' });
  assert.equal(theirs.statusCode, 403);
  const adminLog = (await s.call('POST', '/api/flowlogs', s.admin, { scope_id: 'vpc-1' })).json();
  const seen = (await s.call('GET', '/api/flowlogs', s.tenant)).json().flow_logs.map((l: { scope_id: string }) => l.scope_id);
  assert.deepEqual(seen, ['subnet-other']);
  assert.equal((await s.call('DELETE', `/api/flowlogs/${adminLog.id}`, s.tenant)).statusCode, 404);
  assert.equal((await s.call('PATCH', `/api/flowlogs/${mine.json().id}`, s.tenant, { scope_id: 'vpc-1' })).statusCode, 403);
  assert.equal((await s.call('GET', '/api/flowlogs', 'nonsense')).statusCode, 401);
  await s.app.close();
});
