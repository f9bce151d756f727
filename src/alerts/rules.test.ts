import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DETECTOR_NAMES } from '../detect/registry.js';
import { alertsConfig } from './config.js';
import { RuleSet } from './rules.js';

test('every detector has a built-in rule; config rules add to them and change them by id', () => {
  const cfg = alertsConfig.parse({
    window_s: 120,
    rules: [
      { id: 'beaconing', enabled: false },
      { id: 'brute_force', params: { min_attempts: 10 }, severity: 'critical' },
      { id: 'prod-ssh', detector: 'brute_force', scope: 'vpc_id:"vpc-prod"', window_s: 300, params: { ports: [22] } },
    ],
  });
  const rules = new RuleSet(cfg.rules, cfg.window_s).effective();
  assert.deepEqual(rules.filter((r) => r.origin === 'built-in').map((r) => r.id).sort(), [...DETECTOR_NAMES.filter((d) => d !== 'beaconing' && d !== 'brute_force'), 'horizontal_scan_slow', 'vertical_scan_slow'].sort());
  const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
  assert.equal(byId.beaconing.enabled, false);
  assert.equal(byId.horizontal_scan.window_s, 120);
  assert.deepEqual([byId.vertical_scan_slow.detector, byId.vertical_scan_slow.window_s], ['vertical_scan', 3600]);
  assert.deepEqual([byId.brute_force.severity, byId.brute_force.params, byId.brute_force.origin], ['critical', { min_attempts: 10 }, 'config']);
  assert.deepEqual([byId['prod-ssh'].detector, byId['prod-ssh'].window_s, byId['prod-ssh'].scope], ['brute_force', 300, 'vpc_id:"vpc-prod"']);
});

test('config mistakes name the rule', () => {
  assert.throws(() => new RuleSet([{ id: 'x' }], 60), /rule 'x': give a detector/);
  assert.throws(() => new RuleSet([{ id: 'x', detector: 'port_scan' }], 60), /rule 'x': unknown detector 'port_scan'/);
  assert.throws(() => new RuleSet([{ id: 'ddos', params: { min_sources: 'many' } }], 60), /rule 'ddos': min_sources/);
  assert.throws(() => new RuleSet([{ id: 'y', detector: 'ddos', scope: 'dst_port:>' }], 60), /rule 'y': scope/);
  assert.throws(() => alertsConfig.parse({ rules: [{ id: 'bad id' }] }), /rule ids/);
});

test('API rules are kept in the data directory, win over config rules, and take effect through listeners', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-rules-'));
  const set = new RuleSet([{ id: 'ddos', params: { min_sources: 500 } }], 60, dir);
  const seen: string[][] = [];
  set.onChange((r) => seen.push(r.filter((x) => x.enabled).map((x) => x.id)));
  const made = await set.put({ id: 'ddos', params: { min_pps: 100 } });
  assert.deepEqual(made.params, { min_sources: 500, min_pps: 100 });
  assert.equal(made.origin, 'api');
  await set.put({ id: 'dns-tunnel', detector: 'beaconing', params: { exclude_ports: [] }, scope: 'dst_port:53' });
  await assert.rejects(set.put({ id: 'z', detector: 'ddos', params: { nope: 1 } }), /rule 'z'/);
  assert.equal(seen.length, 2);
  assert.ok(seen[1].includes('dns-tunnel'));
  const reread = new RuleSet([{ id: 'ddos', params: { min_sources: 500 } }], 60, dir);
  assert.deepEqual(reread.get('ddos')!.params, { min_sources: 500, min_pps: 100 });
  assert.equal(reread.get('dns-tunnel')!.scope, 'dst_port:53');
  await reread.delete('ddos');
  assert.deepEqual(reread.get('ddos')!.params, { min_sources: 500 });
  assert.equal(reread.get('ddos')!.origin, 'config');
  await assert.rejects(reread.delete('horizontal_scan'), /no rule 'horizontal_scan' was created through the API/);
  fs.rmSync(dir, { recursive: true });
});
