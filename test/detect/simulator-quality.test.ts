// Every simulator scenario raises the alerts it should, within one window of its start, and
// nothing else is raised: not by the troubleshooting scenarios, not by everyday traffic.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIOS } from '../../src/sources/simulator/index.js';
import { exampleIntel } from './intel-lists.js';
import { EXPECTED, rulesFor, score, simulate } from './quality.js';

// The never-seen checks learn for three hours here instead of a week, so they run too.
const LEARN = { uncommon_port: { learn_s: 10800 }, uncommon_protocol: { learn_s: 10800 } };

test('each scenario is detected by its detectors within one window, with no false alerts', async () => {
  const run = await simulate({
    seed: 11,
    flowsPerWindow: 4000,
    windows: 200 + SCENARIOS.length * 8 + 4,
    rules: rulesFor(60, LEARN),
    intel: exampleIntel(),
    scenarios: SCENARIOS.map((name, i) => ({ name, atWindow: 200 + i * 8, windows: 2 })),
  });
  const s = score(run);
  assert.deepEqual(
    s.scenarios.map((x) => x.scenario),
    SCENARIOS,
  );
  for (const x of s.scenarios) {
    assert.deepEqual(x.detected, [...(EXPECTED[x.scenario] ?? [])].sort(), `${x.scenario}: detected by ${x.detected.join(', ') || 'nothing'}`);
    if (x.expected.length) assert.ok(x.delayWindows !== null && x.delayWindows <= 1, `${x.scenario}: delay ${x.delayWindows} windows`);
  }
  assert.deepEqual(s.falseAlerts.map((a) => a.title), []);
  assert.equal(s.precision, 1);
});

test('everyday traffic alone raises nothing', async () => {
  const run = await simulate({ seed: 5, flowsPerWindow: 6000, windows: 900, rules: rulesFor(60, LEARN), intel: exampleIntel() });
  assert.ok(run.flows > 2_500_000, `${run.flows} flows`);
  assert.deepEqual(run.alerts.map((a) => a.title), []);
});
