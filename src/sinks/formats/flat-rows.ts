// Our own record formats, one row at a time: JSON (the field names and value forms of
// `--format jsonl`) and CSV (RFC 4180). The row function is generated once per field list as
// one concatenation expression over local column variables, so encoding a row does no
// lookups by name and builds no objects.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { FIELDS, type FieldDef } from '../../schema/fields.js';
import { IpText, macText } from './cells.js';

export type RowText = (row: number) => string;
type Factory = (cols: unknown[], dicts: string[][], enums: string[][], ips: IpText[], mac: (v: number) => string) => RowText;

function csvQuote(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function compile(fields: readonly FieldDef[], style: 'json' | 'csv'): Factory {
  const locals: string[] = [];
  const parts: string[] = [];
  fields.forEach((f, i) => {
    const prefix = style === 'json' ? (i === 0 ? '{' : ',') + JSON.stringify(f.name) + ':' : i === 0 ? '' : ',';
    if (prefix) parts.push(JSON.stringify(prefix));
    switch (f.type) {
      case 'string':
        locals.push(`const c${i} = cols[${i}].codes, d${i} = dicts[${i}];`);
        parts.push(`d${i}[c${i}[r]]`);
        break;
      case 'enum':
        locals.push(`const c${i} = cols[${i}], e${i} = enums[${i}];`);
        parts.push(`(e${i}[c${i}[r]] ?? e${i}[0])`);
        break;
      case 'ip':
        locals.push(`const c${i} = cols[${i}], ip${i} = ips[${i}];`);
        parts.push(style === 'json' ? `'"' + ip${i}.text(c${i}, r) + '"'` : `ip${i}.text(c${i}, r)`);
        break;
      case 'mac':
        locals.push(`const c${i} = cols[${i}];`);
        parts.push(style === 'json' ? `(c${i}[r] === 0 ? 'null' : '"' + mac(c${i}[r]) + '"')` : `(c${i}[r] === 0 ? '' : mac(c${i}[r]))`);
        break;
      case 'u64':
      case 'time_ms':
        // Small integers print much faster as small integers than as doubles.
        locals.push(`const c${i} = cols[${i}];`);
        parts.push(`(c${i}[r] < 1073741824 ? c${i}[r] | 0 : c${i}[r])`);
        break;
      default:
        locals.push(`const c${i} = cols[${i}];`);
        parts.push(`c${i}[r]`);
    }
  });
  if (style === 'json') parts.push("'}'");
  const body = `${locals.join('\n')}\nreturn function row(r) { return '' + ${parts.join(' + ')}; };`;
  return new Function('cols', 'dicts', 'enums', 'ips', 'mac', body) as Factory;
}

const cache = new Map<string, Factory>();

function factoryFor(fields: readonly FieldDef[], style: 'json' | 'csv'): Factory {
  const key = style + ':' + fields.map((f) => f.name).join(',');
  let f = cache.get(key);
  if (!f) {
    f = compile(fields, style);
    cache.set(key, f);
  }
  return f;
}

/** One IpText per address field, kept across batches of one sink so its cache stays warm. */
export class RowTextBuilder {
  private readonly ips: IpText[];
  private readonly factory: Factory;
  private readonly enums: string[][];

  constructor(
    readonly fields: readonly FieldDef[] = FIELDS,
    readonly style: 'json' | 'csv' = 'json',
  ) {
    this.factory = factoryFor(fields, style);
    this.ips = fields.map(() => new IpText());
    this.enums = fields.map((f) => (f.values ?? []).map((v) => (style === 'json' ? JSON.stringify(v) : csvQuote(v))));
  }

  /** The row encoder for one batch. */
  forBatch(batch: FlowBatch): RowText {
    const cols = this.fields.map((f) => batch.cols[f.name as keyof typeof batch.cols]);
    const dicts = this.fields.map((f, i) => (f.type === 'string' ? (cols[i] as StringColumn).dict.values.map((s) => (this.style === 'json' ? JSON.stringify(s) : csvQuote(s))) : []));
    return this.factory(cols, dicts, this.enums, this.ips, macText as (v: number) => string);
  }

  header(): string {
    return this.style === 'csv' ? this.fields.map((f) => f.name).join(',') : '';
  }
}
