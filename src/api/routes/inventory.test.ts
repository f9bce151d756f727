import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../test/support/paths.js';
import { CurrentInventory, dataDirInventory } from '../../inventory/current-inventory.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { FlowStore } from '../../store/store.js';
import { silentLogger } from '../../util/log.js';
import { buildApi } from '../server.js';
import { TokenStore } from '../tokens.js';
import { inventoryRoutes } from './inventory.js';

const AWS = path.join(repoRoot, 'test', 'fixtures', 'inventory', 'aws');

test('/api/inventory: POST imports describe outputs, GET serves them scoped to the token', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-api-inv-'));
  const tokens = new TokenStore(path.join(dir, 'tokens.json'));
  const admin = await tokens.create('admin');
  const other = await tokens.create('other', ['999999999999']);
  const inventory = new CurrentInventory([dataDirInventory(dir)]);
  const app = await buildApi({ version: 'test', store: {} as FlowStore, metrics: new MetricsRegistry(), log: silentLogger, tokens, requireToken: true, inventory, dataDir: dir } as never, [inventoryRoutes]);
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  assert.equal((await app.inject({ url: '/api/inventory', headers: auth(admin) })).statusCode, 404);
  const files = fs.readdirSync(AWS).map((name) => ({ name, content: fs.readFileSync(path.join(AWS, name), 'utf8') }));
  const refused = await app.inject({ method: 'POST', url: '/api/inventory', headers: auth(other), payload: { files } });
  assert.equal(refused.statusCode, 403);
  const r = await app.inject({ method: 'POST', url: '/api/inventory?format=aws', headers: auth(admin), payload: { files } });
  assert.equal(r.statusCode, 201, r.body);
  const body = r.json();
  assert.deepEqual([body.vpcs, body.subnets, body.enis], [1, 2, 3]);
  assert.ok(body.notes.some((n: string) => n.includes('pl-0c1d2e3f4a5b6c7d8')));
  assert.equal(inventory.get()?.eni('eni-07c3f1a2b4d6e8f90')?.publicIp, '54.210.33.17', 'in use at once');

  const got = (await app.inject({ url: '/api/inventory', headers: auth(admin) })).json();
  assert.deepEqual(got.enis.map((e: { id: string }) => e.id).sort(), ['eni-07c3f1a2b4d6e8f90', 'eni-0d2e4f6a8b0c1d3e5', 'eni-0f9e8d7c6b5a41302']);
  const hidden = (await app.inject({ url: '/api/inventory', headers: auth(other) })).json();
  assert.deepEqual([hidden.vpcs.length, hidden.enis.length], [0, 0]);

  const broken = await app.inject({ method: 'POST', url: '/api/inventory', headers: auth(admin), payload: { files: files.filter((f) => !f.name.includes('subnets')) } });
  assert.equal(broken.statusCode, 400);
  assert.match(broken.json().error, /add the describe-subnets output/);
  assert.equal(inventory.get()?.subnets.length, 2, 'a failed import leaves the inventory as it was');
  await app.close();
});
