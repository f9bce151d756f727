// Labelled real traffic (Stratosphere Lab captures, as Zeek conn logs) with the IPsum snapshot
// as threat intelligence. Facts from the folder's README: in 008, 202 of the addresses are on
// IPsum and each appears only in flows labelled Malicious; 001's malicious flows are NjRAT's
// C&C from 192.168.1.115 to 41.108.179.197:1177.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testdata } from '../support/paths.js';
import { ipsumIntel } from './intel-lists.js';
import { rulesFor, scoreLabelled } from './quality.js';
import { readZeekConn } from './zeek-conn.js';

const data = (...p: string[]) => testdata('stratosphere-security-datasets', ...p);

test('Zeek conn logs convert to flows: one per direction that sent packets', () => {
  const z = readZeekConn(data('008-zeek-mixed', 'data', 'conn.log.labeled'));
  assert.equal(z.connections, 5663);
  const counts = new Map<string, number>();
  // Labels per connection (each connection's first row is its originator's flow).
  for (let r = 0; r < z.batch.length; r++) if (r === 0 || z.connection[r] !== z.connection[r - 1]) counts.set(z.details[r], (counts.get(z.details[r]) ?? 0) + 1);
  assert.equal(counts.get('External-Attack-to-Device'), 4201);
  assert.equal(new Set(z.connection).size, 5663);
  // A connection is one or two flows.
  assert.ok(z.batch.length > 5663 && z.batch.length <= 2 * 5663);
});

test('008: every address on IPsum raises a threat alert, and each of them is an attacker', async () => {
  const z = readZeekConn(data('008-zeek-mixed', 'data', 'conn.log.labeled'));
  const intel = ipsumIntel();
  const r = await scoreLabelled(z.batch, (row) => z.labels[row] === 'Malicious', rulesFor(60), intel);
  const threat = r.list.filter((a) => a.detector === 'threat_intel');
  const flagged = new Set(threat.map((a) => a.key));
  assert.equal(flagged.size, 202);
  // Each flagged address occurs only in Malicious flows.
  for (let row = 0; row < z.batch.length; row++) {
    for (const side of ['src_addr', 'dst_addr'] as const) {
      if (flagged.has(z.batch.getIp(side, row))) assert.equal(z.labels[row], 'Malicious', `${z.batch.getIp(side, row)} in a ${z.labels[row]} flow`);
    }
  }
  // No alert of any detector is about benign traffic only.
  assert.equal(r.falseAlerts, 0);
  assert.ok(r.list.some((a) => a.detector === 'vertical_scan' && a.entities.addresses.includes('147.32.81.167')));
});

test('001: the NjRAT command-and-control calls are found as beaconing, and nothing else is raised', async () => {
  const z = readZeekConn(data('001-zeek-scenario-malicious', 'labeled-conn.log'));
  const r = await scoreLabelled(z.batch, (row) => z.labels[row] === 'Malicious', rulesFor(60), ipsumIntel());
  assert.deepEqual(
    r.list.map((a) => [a.detector, a.key]),
    [['beaconing', '192.168.1.115|41.108.179.197|6|1177']],
  );
  assert.equal(r.falseAlerts, 0);
  // Most malicious flows are inside its evidence (the rest came before the run of calls was long enough).
  assert.ok(r.coveredMalicious / r.maliciousFlows > 0.9, `${r.coveredMalicious} of ${r.maliciousFlows}`);
});
