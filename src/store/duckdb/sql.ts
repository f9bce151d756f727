// Building DuckDB SQL from values that came from users or files: every literal goes through
// one of these functions, so nothing user-typed reaches SQL text unescaped.

import { fieldByName, type FieldDef } from '../../schema/fields.js';
import { parseIpInto, parseMac } from '../../schema/ip.js';
import { InputError } from '../../util/errors.js';
import type { FieldFilter, TimeRange } from '../store.js';

export function quoteString(s: string): string {
  if (s.includes('\0')) throw new InputError('text values must not contain NUL characters');
  return `'${s.replace(/'/g, "''")}'`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A UUID literal for the 128-bit address in `w` at `o` (the stored form of addresses). */
export function uuidLiteral(w: Uint32Array, o = 0): string {
  const h = [0, 1, 2, 3].map((k) => w[o + k].toString(16).padStart(8, '0')).join('');
  return `'${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}'::UUID`;
}

function intLiteral(def: FieldDef, text: string, max: number): string {
  if (!/^\d+$/.test(text.trim())) throw new InputError(`${def.name}: '${text}' is not a whole number`);
  const n = Number(text);
  if (n > max) throw new InputError(`${def.name}: ${text} is out of range (max ${max})`);
  return String(n);
}

/** The SQL literal for `text` as a value of field `def`, or an InputError saying why not. */
export function fieldLiteral(def: FieldDef, text: string): string {
  switch (def.type) {
    case 'string':
      return quoteString(text);
    case 'enum': {
      const v = def.values!.find((x) => x.toLowerCase() === text.trim().toLowerCase());
      if (v === undefined) throw new InputError(`${def.name}: '${text}' is not one of ${def.values!.join(', ')}`);
      return quoteString(v);
    }
    case 'ip': {
      const w = new Uint32Array(4);
      if (!parseIpInto(text, w, 0)) throw new InputError(`${def.name}: '${text}' is not an IP address`);
      return uuidLiteral(w);
    }
    case 'mac': {
      const m = parseMac(text);
      if (m === undefined) throw new InputError(`${def.name}: '${text}' is not a MAC address`);
      return String(m);
    }
    case 'u8':
      return intLiteral(def, text, 255);
    case 'u16':
      return intLiteral(def, text, 65535);
    case 'u32':
    case 'time_s':
      return intLiteral(def, text, 0xffffffff);
    default:
      return intLiteral(def, text, Number.MAX_SAFE_INTEGER);
  }
}

export function filtersToSql(filters: readonly FieldFilter[]): string[] {
  return filters.map((f) => {
    const def = fieldByName(f.field);
    if (!def) throw new InputError(`unknown field '${f.field}'`);
    if (f.values.length === 0) throw new InputError(`${f.field}: no value given`);
    return `${quoteIdent(def.name)} IN (${f.values.map((v) => fieldLiteral(def, v)).join(', ')})`;
  });
}

export function rangeToSql(r: TimeRange): string {
  if (!Number.isFinite(r.from) || !Number.isFinite(r.to)) throw new InputError('time range bounds must be numbers');
  return `"start" >= ${Math.floor(r.from)} AND "start" < ${Math.ceil(r.to)}`;
}

export function fileListSql(files: readonly string[]): string {
  return `[${files.map(quoteString).join(', ')}]`;
}

/**
 * read_parquet over our files. Hive partitioning is off: the date=/hour= folders are for
 * pruning by us, and must not appear as extra columns.
 */
export function readParquetSql(files: readonly string[], unionByName = false): string {
  return `read_parquet(${fileListSql(files)}, hive_partitioning = false${unionByName ? ', union_by_name = true' : ''})`;
}
