import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { alertsConfig } from '../../alerts/config.js';
import { ThreatDetection } from '../../alerts/threat-detection.js';
import type { Finding } from '../../detect/finding.js';
import { intelConfig } from '../../intel/config.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { FlowBatch } from '../../schema/batch.js';
import { DuckDbStore } from '../../store/duckdb/store.js';
import { silentLogger } from '../../util/log.js';
import { buildApi, CORE_ROUTES } from '../server.js';
import { TokenStore } from '../tokens.js';
import type { AlertsApiContext } from './alerts.js';

const T = 1_767_225_600;

function finding(key: string, account: string, over: Partial<Finding> = {}): Finding {
  return {
    rule: 'brute_force',
    detector: 'brute_force',
    severity: 'high',
    key,
    group: key.split('|')[0],
    title: `SSH brute force ${key}`,
    entities: { addresses: key.split('|').slice(0, 2), interfaces: [], ports: [22], protocols: [6], accounts: [account], vpcs: [], subnets: [] },
    windowStart: T,
    windowEnd: T + 60,
    evidence: { query: `src_addr:${key.split('|')[0]} AND dst_port:22`, from: T, to: T + 60 },
    flows: 3,
    metrics: { attempts: 3 },
    ...over,
  };
}

async function setup(withDetection = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-api-alerts-'));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  const b = new FlowBatch(4, { shared: false });
  for (let i = 0; i < 3; i++) b.push({ account_id: 'acct-a', src_addr: '198.51.100.4', dst_addr: '10.0.0.5', src_port: 40000 + i, dst_port: 22, protocol: 6, start: T, end: T + 60 });
  b.push({ account_id: 'acct-a', src_addr: '198.51.100.4', dst_addr: '10.0.0.5', src_port: 40009, dst_port: 443, protocol: 6, start: T, end: T + 60 });
  await store.append(b);
  const metrics = new MetricsRegistry();
  const detection = new ThreatDetection({ alerts: alertsConfig.parse({}), intel: intelConfig.parse({}), dataDir: dir, metrics });
  detection.center.accept(finding('198.51.100.4|10.0.0.5|22', 'acct-a'));
  detection.center.accept(finding('203.0.113.9|10.0.0.6|22', 'acct-b', { severity: 'low' }));
  await detection.center.flush();
  const tokens = new TokenStore(path.join(dir, 'tokens.json'));
  const admin = await tokens.create('admin');
  const tenant = await tokens.create('tenant-a', ['acct-a']);
  const ctx: AlertsApiContext = { version: 'test', store, metrics, log: silentLogger, tokens, requireToken: true, alerts: withDetection ? detection : undefined };
  const app = await buildApi(ctx, CORE_ROUTES);
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    app,
    detection,
    admin: as(admin),
    tenant: as(tenant),
    async close() {
      await app.close();
      await store.stop();
      fs.rmSync(dir, { recursive: true });
    },
  };
}

test('GET /api/alerts lists with filters; a tenant sees only its accounts\' alerts', async () => {
  const s = await setup();
  const all = await s.app.inject({ url: '/api/alerts', headers: s.admin });
  assert.equal(all.statusCode, 200);
  assert.equal(all.json().count, 2);
  const high = await s.app.inject({ url: '/api/alerts?severity=high&status=open', headers: s.admin });
  assert.deepEqual(high.json().alerts.map((a: { key: string }) => a.key), ['198.51.100.4|10.0.0.5|22']);
  const mine = await s.app.inject({ url: '/api/alerts', headers: s.tenant });
  assert.deepEqual(mine.json().alerts.map((a: { entities: { accounts: string[] } }) => a.entities.accounts[0]), ['acct-a']);
  const bad = await s.app.inject({ url: '/api/alerts?severity=urgent', headers: s.admin });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /severity: 'urgent' must be one of/);
  assert.equal((await s.app.inject({ url: '/api/alerts' })).statusCode, 401);
  await s.close();
});

test('one alert, its evidence flows from the store, and its lifecycle', async () => {
  const s = await setup();
  const [a] = (await s.app.inject({ url: '/api/alerts?severity=high', headers: s.admin })).json().alerts;
  const one = await s.app.inject({ url: `/api/alerts/${a.id}`, headers: s.tenant });
  assert.equal(one.json().title, 'SSH brute force 198.51.100.4|10.0.0.5|22');
  const flows = await s.app.inject({ url: `/api/alerts/${a.id}/flows`, headers: s.tenant });
  assert.equal(flows.statusCode, 200);
  assert.equal(flows.json().count, 3);
  assert.deepEqual(flows.json().flows.map((f: { dst_port: number }) => f.dst_port), [22, 22, 22]);
  const other = (await s.app.inject({ url: '/api/alerts?severity=low', headers: s.admin })).json().alerts[0];
  assert.equal((await s.app.inject({ url: `/api/alerts/${other.id}`, headers: s.tenant })).statusCode, 404);
  assert.equal((await s.app.inject({ method: 'POST', url: `/api/alerts/${other.id}/ack`, headers: s.tenant })).statusCode, 404);
  const ack = await s.app.inject({ method: 'POST', url: `/api/alerts/${a.id}/ack`, headers: s.tenant, payload: { note: 'on it' } });
  assert.deepEqual([ack.json().status, ack.json().acknowledged_by, ack.json().note], ['acknowledged', 'tenant-a', 'on it']);
  const res = await s.app.inject({ method: 'POST', url: `/api/alerts/${a.id}/resolve`, headers: s.admin });
  assert.equal(res.json().status, 'resolved');
  assert.equal((await s.app.inject({ url: '/api/alerts?status=resolved', headers: s.admin })).json().count, 1);
  assert.equal((await s.app.inject({ method: 'POST', url: `/api/alerts/${a.id}/reopen`, headers: s.admin })).json().status, 'open');
  assert.equal((await s.app.inject({ url: '/api/alerts/al_none', headers: s.admin })).statusCode, 404);
  await s.close();
});

test('rules: listed with the detectors\' defaults; created, changed and removed by an admin only', async () => {
  const s = await setup();
  const list = (await s.app.inject({ url: '/api/alerts/rules', headers: s.tenant })).json();
  assert.ok(list.rules.some((r: { id: string }) => r.id === 'brute_force'));
  assert.deepEqual(list.detectors.find((d: { name: string }) => d.name === 'brute_force').params.ports, [22, 3389]);
  const put = await s.app.inject({ method: 'PUT', url: '/api/alerts/rules/ssh-strict', headers: s.admin, payload: { detector: 'brute_force', params: { min_attempts: 5 }, scope: 'dst_addr:10.0.0.0/24' } });
  assert.equal(put.statusCode, 200);
  assert.equal(put.json().origin, 'api');
  assert.ok(s.detection.engine.rules.some((r) => r.id === 'ssh-strict'));
  assert.equal((await s.app.inject({ method: 'PUT', url: '/api/alerts/rules/x', headers: s.tenant, payload: { detector: 'ddos' } })).statusCode, 403);
  const bad = await s.app.inject({ method: 'PUT', url: '/api/alerts/rules/y', headers: s.admin, payload: { detector: 'ddos', params: { min_sources: 0 } } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, /rule 'y': min_sources/);
  assert.equal((await s.app.inject({ method: 'DELETE', url: '/api/alerts/rules/ssh-strict', headers: s.admin })).statusCode, 200);
  assert.ok(!s.detection.engine.rules.some((r) => r.id === 'ssh-strict'));
  await s.close();
});

test('without threat detection the alert routes answer 503', async () => {
  const s = await setup(false);
  const r = await s.app.inject({ url: '/api/alerts', headers: s.admin });
  assert.equal(r.statusCode, 503);
  assert.match(r.json().error, /threat detection is not running/);
  await s.close();
});
