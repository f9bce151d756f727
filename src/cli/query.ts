import { FIELDS, fieldByName, FIELD_NAMES, isFieldName, type FieldDef } from '../schema/fields.js';
import { RecordWriter } from '../schema/formats.js';
import { storeConfig } from '../store/config.js';
import { openStore } from '../store/open.js';
import type { FieldFilter } from '../store/store.js';
import { loadConfig, section } from '../config/load.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parseRange } from '../util/time.js';
import { int, list, oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { renderTable } from './table.js';

const TABLE_FIELDS = ['start', 'interface_id', 'src_addr', 'src_port', 'dst_addr', 'dst_port', 'protocol', 'packets', 'bytes', 'action'];

/** `field:value`, `field:(a OR b)`, joined by AND or spaces: exact filters. */
export function parseExactFilters(q: string): FieldFilter[] {
  const out: FieldFilter[] = [];
  const re = /\s*(?:AND\s+)?([A-Za-z_][\w]*):(\((?:[^()]*)\)|"[^"]*"|\S+)\s*/gy;
  let pos = 0;
  const text = q.trim();
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new InputError(`query: col ${pos + 1}: expected field:value (only exact field filters are understood here)`);
    const [, field, raw] = m;
    if (!isFieldName(field)) throw new InputError(`query: col ${pos + 1}: unknown field '${field}'${didYouMean(field, FIELD_NAMES)}`);
    const values = raw.startsWith('(')
      ? raw
          .slice(1, -1)
          .split(/\s+OR\s+/)
          .map((v) => v.trim().replace(/^"|"$/g, ''))
      : [raw.replace(/^"|"$/g, '')];
    out.push({ field, values });
    pos = re.lastIndex;
  }
  return out;
}

export const query: Verb = {
  name: 'query',
  summary: 'search stored flow records',
  usage: `flowlogs query 'QUERY' [--from T] [--to T] [--limit N] [--format table|jsonl|csv] [--fields a,b] [--data DIR]

  QUERY       field:value filters joined by AND, e.g. 'action:REJECT dst_port:(22 OR 3389)'; '' matches every flow
  --from/--to ISO-8601, unix seconds, 'now' or relative (-15m, -7d); default: the last hour
  --limit N   at most N records, newest first (default 100; table output) or all (jsonl/csv)`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('query', argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      fields: { type: 'string', multiple: true },
      data: { type: 'string' },
      config: { type: 'string', short: 'c' },
    });
    if (p.positionals.length > 1) throw new InputError(`flowlogs query: expected one QUERY argument, got ${p.positionals.length} (quote the query)`);
    const filters = parseExactFilters(p.positionals[0] ?? '');
    const range = parseRange(str(p, 'from'), str(p, 'to'));
    const format = oneOf(p, 'format', 'query', ['table', 'jsonl', 'csv'] as const, 'table');
    const limit = int(p, 'limit', 'query', 0) ?? (format === 'table' ? 100 : 10_000_000);
    const names = list(p, 'fields');
    for (const n of names) if (!isFieldName(n)) throw new InputError(`flowlogs query: --fields: unknown field '${n}'${didYouMean(n, FIELD_NAMES)}`);
    const fields: FieldDef[] = names.length ? names.map((n) => fieldByName(n)!) : format === 'table' ? TABLE_FIELDS.map((n) => fieldByName(n)!) : [...FIELDS];
    const cfg = { ...section(loadConfig(str(p, 'config')), 'store', storeConfig) };
    if (str(p, 'data')) cfg.data = str(p, 'data')!;
    const store = openStore(cfg, 'reader');
    await store.start();
    try {
      const batch = await store.flows({ range, filters, limit });
      if (format === 'table') {
        const rows = [];
        for (let i = 0; i < batch.length; i++) rows.push(fields.map((f) => (f.name === 'start' ? new Date(batch.cols.start[i] * 1000).toISOString().slice(0, 19) + 'Z' : batch.value(f, i))));
        io.out.write(renderTable(fields.map((f) => f.name), rows));
        io.err.write(`${batch.length} record${batch.length === 1 ? '' : 's'}${batch.length === limit ? ` (limit ${limit}; use --limit for more)` : ''}\n`);
      } else {
        const w = new RecordWriter(io.out, format, fields);
        await w.write(batch);
        w.finish();
      }
    } finally {
      await store.stop();
    }
    return 0;
  },
};
