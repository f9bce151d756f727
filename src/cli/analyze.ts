import { bandwidth, DIMENSIONS, METRICS, mix, rejected, sankey, series, top, type AnalysisInput } from '../analyze/analyses.js';
import { loadConfig, section } from '../config/load.js';
import { storeConfig } from '../store/config.js';
import { openStore } from '../store/open.js';
import { InputError } from '../util/errors.js';
import { parseRange } from '../util/time.js';
import { int, oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { renderTable } from './table.js';

const KINDS = ['top', 'series', 'sankey', 'mix', 'bandwidth', 'rejected'] as const;

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(nothing in this range)\n';
  const cols = Object.keys(rows[0]);
  return renderTable(cols, rows.map((r) => cols.map((c) => (typeof r[c] === 'number' && !Number.isInteger(r[c]) ? (r[c] as number).toFixed(1) : r[c]))));
}

export const analyze: Verb = {
  name: 'analyze',
  summary: 'ready-made analyses: top talkers, traffic over time, Sankey, protocol/port mix, ENI bandwidth, rejected traffic',
  usage: `flowlogs analyze top --by DIM [--metric bytes|packets|flows|peers] [--limit N]
flowlogs analyze series [--bucket S] [--split DIM] [--groups N]
flowlogs analyze sankey [--source DIM] [--target DIM] [--limit N]
flowlogs analyze mix | bandwidth | rejected [--limit N]
  common: [--filter 'QUERY FILTER'] [--from T] [--to T] [--format table|json] [--data DIR]

  DIM: ${Object.keys(DIMENSIONS).join(', ')}
  metrics: ${METRICS.join(', ')} (peers: distinct addresses on the other side)
  series picks a bucket for about 240 points unless --bucket is given; bandwidth gives each
  ENI's average, 95th-percentile and peak bps/pps over one-minute buckets.`,
  async run(argv: string[], io: Io): Promise<number> {
    const [kind, ...rest] = argv;
    if (!(KINDS as readonly string[]).includes(kind ?? '')) throw new InputError(`flowlogs analyze: expected one of ${KINDS.join(', ')}${kind ? `, got '${kind}'` : ''}`);
    const p = parseFlags(`analyze ${kind}`, rest, {
      by: { type: 'string' },
      metric: { type: 'string' },
      limit: { type: 'string' },
      bucket: { type: 'string' },
      split: { type: 'string' },
      groups: { type: 'string' },
      source: { type: 'string' },
      target: { type: 'string' },
      filter: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string', short: 'c' },
    }, false);
    const format = oneOf(p, 'format', 'analyze', ['table', 'json'] as const, 'table');
    const cfg = { ...section(loadConfig(str(p, 'config')), 'store', storeConfig) };
    if (str(p, 'data')) cfg.data = str(p, 'data')!;
    const store = openStore(cfg, 'reader');
    await store.start();
    try {
      const i: AnalysisInput = { store, range: parseRange(str(p, 'from'), str(p, 'to')), filter: str(p, 'filter') };
      const limit = int(p, 'limit', 'analyze', 1);
      let result: unknown;
      let text = '';
      switch (kind) {
        case 'top': {
          if (!str(p, 'by')) throw new InputError(`flowlogs analyze top: --by is required (${Object.keys(DIMENSIONS).join(', ')})`);
          const r = await top(i, { by: str(p, 'by')!, metric: str(p, 'metric'), limit });
          result = r;
          text = table(r.rows);
          break;
        }
        case 'series': {
          const r = await series(i, { bucket: int(p, 'bucket', 'analyze', 1), split: str(p, 'split'), groups: int(p, 'groups', 'analyze', 1) });
          result = r;
          text = table(r.points.map((pt) => ({ ...pt, t: new Date(Number(pt.t) * 1000).toISOString().slice(0, 19) + 'Z' })));
          break;
        }
        case 'sankey': {
          const r = await sankey(i, { from: str(p, 'source') ?? 'src_country', to: str(p, 'target') ?? 'subnet', limit });
          result = r;
          text = table(r.links.map((l) => ({ source: r.nodes[l.source].name, target: r.nodes[l.target].name, bytes: l.bytes, flows: l.flows })));
          break;
        }
        case 'mix': {
          const r = await mix(i, { limit });
          result = r;
          text = `protocols\n${table(r.protocols)}\nservice ports\n${table(r.ports)}`;
          break;
        }
        case 'bandwidth': {
          const r = await bandwidth(i, { limit });
          result = r;
          text = table(r.rows as unknown as Record<string, unknown>[]);
          break;
        }
        case 'rejected': {
          const r = await rejected(i, { limit });
          result = r;
          text = `rejected: ${r.total.flows} flows, ${r.total.packets} packets\nsources\n${table(r.sources)}\ndestinations\n${table(r.destinations)}\nports\n${table(r.ports)}\nrules\n${table(r.rules)}`;
          break;
        }
      }
      io.out.write(format === 'json' ? JSON.stringify(result, null, 2) + '\n' : text);
      const ev = (result as { evidence?: { query: string } }).evidence;
      if (format === 'table' && ev && !Array.isArray(ev)) io.err.write(`evidence: flowlogs query '${ev.query}'\n`);
    } finally {
      await store.stop();
    }
    return 0;
  },
};
