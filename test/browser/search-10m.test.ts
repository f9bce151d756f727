// Speed at size, in the browser: `flowlogs demo` backfilled with more than 10 million flows,
// then the Overview's time to interactive and the time a search takes to show its first page,
// printed (not asserted). Minutes of backfill: it runs only with FLOWLOGS_BROWSER_BIG=1.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diurnalFactor } from '../../src/sources/simulator/index.js';
import { launchBrowser, settled, startDemo } from './harness.js';

const FLOWS = 10_000_000;
const HISTORY_HOURS = 6;
const WINDOW_S = 10;

/**
 * The demo's peak rate that backfills a little over FLOWS: the simulator scales the peak rate
 * by the time of day, so the rate depends on when the test runs.
 */
function peakRate(now = Date.now() / 1000): number {
  let load = 0;
  for (let t = now - HISTORY_HOURS * 3600; t < now; t += WINDOW_S) load += diurnalFactor(t);
  return Math.ceil((FLOWS * 1.2) / load);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (process.env.FLOWLOGS_BROWSER_BIG) {
  test(`search over ${FLOWS / 1e6}M flows: first page and Overview times (printed)`, { timeout: 60 * 60_000 }, async () => {
    const t0 = Date.now();
    const demo = await startDemo({ history: HISTORY_HOURS, window: WINDOW_S, rate: peakRate(), readyTimeoutMs: 45 * 60_000, label: 'demo-10m' });
    const browser = await launchBrowser();
    try {
      const backfill = Date.now() - t0;
      const count = await demo.api<{ rows: number[][] }>('/api/query', { method: 'POST', body: { query: '| SELECT count(*) AS n', from: '-7h' } });
      const flows = count.rows[0][0];
      console.log(`# console 10M: ${flows.toLocaleString('en-US')} flows stored in ${Math.round(backfill / 1000)} s`);
      assert.ok(flows >= FLOWS, `at least ${FLOWS} flows to search (got ${flows})`);
      const page = browser.page;

      for (const from of ['-1h', '-6h']) {
        const overview: number[] = [];
        for (let i = 0; i < 3; i++) {
          await page.goto(`${demo.url}/?from=${from}`);
          await settled(page, 180_000);
          overview.push(Math.round((await page.evaluate('performance.now()')) as number));
        }
        console.log(`# console 10M: Overview over ${from.slice(1)} interactive after ${median(overview)} ms (runs: ${overview.join(', ')} ms)`);
      }

      for (const query of ['', 'src_addr:10.0.20.0/24', 'action:REJECT dst_port:22']) {
        const times: number[] = [];
        const counted: number[] = [];
        for (let i = 0; i < 3; i++) {
          // From navigation to the first page of results on screen; the count of every match
          // comes after it and is timed apart.
          await page.goto(`${demo.url}/search?from=-7h&q=${encodeURIComponent(query)}`);
          await page.locator('table.results tbody tr').first().waitFor({ timeout: 120_000 });
          times.push(Math.round((await page.evaluate('performance.now()')) as number));
          await settled(page, 120_000);
          counted.push(Math.round((await page.evaluate('performance.now()')) as number));
        }
        const rows = await page.locator('table.results tbody tr').count();
        assert.ok(rows > 0, `rows for '${query}'`);
        console.log(`# console 10M: search '${query || '(every flow)'}' first page (${rows} rows) shown ${median(times)} ms after navigation (runs: ${times.join(', ')} ms); the page settled, count included, after ${median(counted)} ms`);
      }
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
      await demo.stop();
    }
  });
}
