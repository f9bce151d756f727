// The answers over HTTP: JSON bodies, 400 for bad input, 409 without an inventory, and a
// token limited to other accounts seeing neither their interfaces nor their flows.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { answersRoutes } from '../../src/api/routes/answers.js';
import { buildApi } from '../../src/api/server.js';
import { TokenStore } from '../../src/api/tokens.js';
import { StaticInventory } from '../../src/inventory/current-inventory.js';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { FlowBatch } from '../../src/schema/batch.js';
import { silentLogger } from '../../src/util/log.js';
import { handInventory } from './hand-inventory.js';
import { indexOf, tempStore, type TempStore } from './support.js';

const T0 = 1_795_000_000 - (1_795_000_000 % 3600);
const base = { account_id: '111111111111', protocol: 6, packets: 3, bytes: 300, start: T0, end: T0 + 60 };
// web2 calls the app: the app accepts, its answer is refused by acl-b (rule 90), twice.
const RECORDS = [0, 1].flatMap((k) => [
  { ...base, interface_id: 'eni-web2', direction: 'egress', src_addr: '10.0.1.11', dst_addr: '10.0.2.20', src_port: 40000 + k, dst_port: 8080, action: 'ACCEPT', rule_id: 'sg-web/to-app' },
  { ...base, interface_id: 'eni-app', direction: 'ingress', src_addr: '10.0.1.11', dst_addr: '10.0.2.20', src_port: 40000 + k, dst_port: 8080, action: 'ACCEPT', rule_id: 'sg-app/api' },
  { ...base, interface_id: 'eni-app', direction: 'egress', src_addr: '10.0.2.20', dst_addr: '10.0.1.11', src_port: 8080, dst_port: 40000 + k, action: 'REJECT', rule_id: 'acl-b/90' },
]);

let ts: TempStore;
let app: FastifyInstance;
let bare: FastifyInstance;
let admin: string;
let tenant: string;
const range = `from=${T0}&to=${T0 + 3600}`;

before(async () => {
  ts = await tempStore([FlowBatch.fromRecords(RECORDS)]);
  const tokens = new TokenStore(path.join(ts.dir, 'tokens.json'));
  admin = await tokens.create('admin');
  tenant = await tokens.create('tenant', ['999999999999']);
  const ctx = { version: 'test', store: ts.store, metrics: new MetricsRegistry(), log: silentLogger, tokens, requireToken: true };
  app = await buildApi({ ...ctx, inventory: new StaticInventory(indexOf(handInventory())) }, [answersRoutes]);
  bare = await buildApi(ctx, [answersRoutes]);
});

after(async () => {
  await app.close();
  await bare.close();
  await ts.close();
});

const get = (url: string, token = admin, a = app) => a.inject({ url, headers: { authorization: `Bearer ${token}` } });

test('GET /api/diagnose: verdict, deciding rule, hops, observed records and the fix', async () => {
  const r = await get(`/api/diagnose?src=eni-web2&dst=10.0.2.20&port=8080&${range}`);
  assert.equal(r.statusCode, 200);
  const d = r.json();
  assert.equal(d.reachable, false);
  assert.equal(d.blocked_by, 'acl-b');
  assert.equal(d.deciding_rule.rule_id, 'acl-b/90');
  assert.equal(d.hops.length, 8);
  assert.deepEqual([d.observed.request.accept, d.observed.reply.reject, d.observed.verdict], [4, 2, 'agrees']);
  assert.equal(d.fix.changes[0].text, 'add to acl-b egress: #89 allow tcp 32768-65535 to 10.0.1.11/32');
  const deny = (await get(`/api/diagnose?src=eni-web&dst=eni-app&port=8080&deny=true&${range}`)).json();
  assert.deepEqual([deny.reachable, deny.blocked_by, deny.fix.goal, deny.fix.changes[0].id], [true, null, 'deny', 'acl-b']);
});

test('bad input is a 400 naming the problem; no inventory is a 409', async () => {
  assert.match((await get('/api/diagnose?src=eni-web&dst=eni-app')).json().error, /port: give the destination port/);
  assert.match((await get('/api/diagnose?src=eni-web&dst=eni-nope&port=1')).json().error, /dst: 'eni-nope' is not an IP address, nor an ENI/);
  assert.equal((await get('/api/diagnose?src=eni-web&dst=eni-app&port=99999')).statusCode, 400);
  assert.equal((await get('/api/answers/policy/propose')).statusCode, 400);
  const none = await get('/api/diagnose?src=eni-web&dst=eni-app&port=1', admin, bare);
  assert.equal(none.statusCode, 409);
  assert.match(none.json().error, /no inventory loaded/);
  assert.equal((await app.inject({ url: '/api/answers/storms' })).statusCode, 401);
});

test('a token for other accounts sees neither the interfaces nor the flows', async () => {
  const r = await get(`/api/diagnose?src=eni-web2&dst=eni-app&port=8080&${range}`, tenant);
  assert.equal(r.statusCode, 400);
  assert.match(r.json().error, /src: 'eni-web2' is not an IP address, nor an ENI or instance id/);
  const hits = (await get(`/api/answers/policy/hits?${range}`, tenant)).json();
  assert.deepEqual([hits.flows, hits.rules.length], [0, 0]);
  const storms = (await get(`/api/answers/storms?${range}`, tenant)).json();
  assert.equal(storms.sources.length, 0);
});

test('policy, capacity and region answers are served as JSON; a proposal as the clouds\' JSON', async () => {
  const hits = (await get(`/api/answers/policy/hits?${range}&id=acl-b`)).json();
  assert.deepEqual(hits.rules.filter((u: { hits: number }) => u.hits > 0).map((u: { rule_id: string; direction: string; hits: number }) => [u.rule_id, u.direction, u.hits]), [
    ['acl-b/100', 'ingress', 2],
    ['acl-b/90', 'egress', 2],
  ]);
  const aws = (await get(`/api/answers/policy/propose?group=sg-app&format=aws&${range}`)).json();
  assert.deepEqual(aws.SecurityGroups[0].IpPermissions.map((p: { IpProtocol: string; FromPort: number; UserIdGroupPairs: { GroupId: string }[] }) => [p.IpProtocol, p.FromPort, p.UserIdGroupPairs[0].GroupId]), [['tcp', 8080, 'sg-web']]);
  const tencent = (await get(`/api/answers/policy/propose?group=sg-app&format=tencent&${range}`)).json();
  assert.equal(tencent.SecurityGroupId, 'sg-app');
  assert.equal((await get(`/api/answers/policy/unused?${range}`)).statusCode, 200);
  assert.equal((await get(`/api/answers/policy/broad?${range}`)).statusCode, 200);
  const cap = (await get(`/api/answers/capacity?${range}&window=600`)).json();
  assert.deepEqual(cap.rows.map((x: { entity: string }) => x.entity).sort(), ['eni-app', 'eni-web2']);
  const base = (await get(`/api/answers/baselines?${range}&entity=eni-app&window=300`)).json();
  assert.equal(base.profiles[0].metrics.flows.cells.length, 168);
  assert.equal((await get(`/api/answers/regions?${range}&by=asn`)).json().by, 'asn');
  assert.equal((await get(`/api/answers/hogs?${range}&lookback_days=0`)).json().hogs.length, 0);
  assert.equal((await get(`/api/answers/regions?by=galaxy`)).statusCode, 400);
});
