import { FIELDS, fieldByName, FIELD_NAMES, isFieldName, type FieldDef } from '../schema/fields.js';
import { RecordWriter } from '../schema/formats.js';
import { storeConfig } from '../store/config.js';
import { openStore } from '../store/open.js';
import { parseQuery } from '../query/index.js';
import { prepareQuery } from '../store/prepare.js';
import { loadConfig, section } from '../config/load.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { parseRange } from '../util/time.js';
import { int, list, oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { formatResult } from './output.js';
import { renderTable } from './table.js';

const TABLE_FIELDS = ['start', 'interface_id', 'src_addr', 'src_port', 'dst_addr', 'dst_port', 'protocol', 'packets', 'bytes', 'action'];

export const query: Verb = {
  name: 'query',
  summary: 'search stored flow records',
  usage: `flowlogs query 'QUERY' [--from T] [--to T] [--limit N] [--format table|jsonl|csv] [--fields a,b] [--data DIR]

  QUERY       a filter, optionally followed by | and a SELECT over the table flows, e.g.
                'src_addr:10.0.0.0/16 AND dst_port:(22 OR 3389) AND action:REJECT'
                'action:REJECT | SELECT src_addr, count(*) AS flows GROUP BY src_addr ORDER BY flows DESC LIMIT 10'
              '' matches every flow (see the README for the language)
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
    const q = parseQuery(p.positionals[0] ?? '');
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
      if (q.select) {
        const prepared = prepareQuery(store, q, { maxRows: limit });
        io.out.write(formatResult(await store.sql(prepared.sql, range, prepared.sqlOptions), format));
        return 0;
      }
      const batch = await store.flows({ range, filter: q.filter, limit });
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
