// Query language cost per request: parsing a query and compiling it to DuckDB SQL, in
// microseconds, for a few representative shapes. No engine involved.

import { pathToFileURL } from 'node:url';
import { exactFilter, parseQuery } from '../src/query/index.js';
import { compileQuery } from '../src/store/duckdb/compile.js';

const QUERIES: Record<string, string> = {
  'filter, one term': 'action:REJECT',
  'filter, design example': 'src_addr:10.0.0.0/16 AND dst_port:(22 OR 3389) AND action:REJECT NOT protocol:1',
  'filter, ranges and wildcards': 'bytes:>1000000 dst_port:[1024 TO 65535] interface_id:eni-* -2001:db8::/32 start:>=2026-01-01T00:00:00Z',
  'top-N': 'action:REJECT | SELECT src_addr, count(*) AS flows, sum(bytes) AS b GROUP BY src_addr ORDER BY flows DESC LIMIT 10',
  'time series': "interface_id:eni-* | SELECT bucket(start, '5m') AS t, sum(bytes) AS b, percentile(bytes, 95) AS p95 GROUP BY t ORDER BY t",
  'expressions': "| SELECT CASE WHEN dst_port < 1024 THEN 'system' ELSE 'other' END AS k, count(DISTINCT src_addr) AS n WHERE ip_in(dst_addr, '10.0.0.0/8', '192.168.0.0/16') AND protocol IN ('tcp', 'udp') GROUP BY k HAVING n > 1 ORDER BY n DESC",
};

/** Best of several rounds: on a shared machine the fastest round is the code's own cost. */
function perCallMicros(fn: () => void, rounds = 7, roundMs = 150): number {
  for (let i = 0; i < 2000; i++) fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < roundMs) {
      for (let i = 0; i < 200; i++) fn();
      calls += 200;
      elapsed = performance.now() - t0;
    }
    best = Math.min(best, (elapsed * 1000) / calls);
  }
  return best;
}

export async function run(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const scope = exactFilter([{ field: 'account_id', values: ['acct-a', 'acct-b'] }]);
  const out: Array<{ name: string; value: number; unit: string }> = [];
  for (const [name, text] of Object.entries(QUERIES)) {
    let sink = 0;
    const us = perCallMicros(() => {
      sink += compileQuery(parseQuery(text), { scope, maxRows: 10_001 }).sql.length;
    });
    if (sink === 0) throw new Error('nothing compiled');
    out.push({ name: `query parse+compile: ${name}`, value: Math.round(us * 10) / 10, unit: 'µs' });
  }
  const text = QUERIES['top-N'];
  out.push({ name: 'query parse only: top-N', value: Math.round(perCallMicros(() => parseQuery(text)) * 10) / 10, unit: 'µs' });
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
