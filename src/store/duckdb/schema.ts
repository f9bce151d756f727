// The flow record as DuckDB sees it, derived from FIELDS: column types, defaults for columns
// an older file lacks, and the fingerprint that tells when stored files need migrating.

import { createHash } from 'node:crypto';
import { FIELDS, type FieldDef } from '../../schema/fields.js';
import { quoteIdent, quoteString } from './sql.js';

export function duckdbType(f: FieldDef): string {
  switch (f.type) {
    case 'u8':
      return 'UTINYINT';
    case 'u16':
      return 'USMALLINT';
    case 'u32':
    case 'time_s':
      return 'UINTEGER';
    case 'u64':
    case 'time_ms':
    case 'mac':
      // Signed: every value is below 2^53, and sum() over BIGINT avoids a 128-bit widening of
      // each value (2-3x faster aggregation over counters).
      return 'BIGINT';
    case 'ip':
      // 16 big-endian bytes; UUID ordering is byte order, so CIDR blocks are ranges.
      return 'UUID';
    case 'string':
    case 'enum':
      return 'VARCHAR';
  }
}

export function defaultLiteral(f: FieldDef): string {
  switch (f.type) {
    case 'string':
      return "''";
    case 'enum':
      return quoteString(f.values![0]);
    case 'ip':
      return "'00000000-0000-0000-0000-000000000000'::UUID";
    default:
      return `0::${duckdbType(f)}`;
  }
}

/** Bumped when the stored form of a field type changes (v2: 64-bit counters signed). */
const STORAGE_VERSION = 2;

export function schemaFingerprint(fields: readonly FieldDef[] = FIELDS): string {
  const text = `${STORAGE_VERSION};` + fields.map((f) => `${f.name}:${f.type}:${(f.values ?? []).join('|')}:${duckdbType(f)}`).join(',');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The select list that turns files holding `available` columns (name → DuckDB type) into
 * the current record: missing columns get their default, others are cast where the type
 * changed. Columns no longer in the schema are dropped.
 */
export function migratingSelect(available: ReadonlyMap<string, string>, everyFileHasAll: boolean): string {
  return FIELDS.map((f) => {
    const col = quoteIdent(f.name);
    const have = available.get(f.name);
    if (!have) return `${defaultLiteral(f)} AS ${col}`;
    const want = duckdbType(f);
    const expr = everyFileHasAll ? col : `COALESCE(${col}, ${defaultLiteral(f)})`;
    return have === want && everyFileHasAll ? col : `CAST(${expr} AS ${want}) AS ${col}`;
  }).join(', ');
}

/** A zero-row relation with the record's columns, for ranges that hold no files. */
export function emptyFlowsSql(): string {
  return `SELECT ${FIELDS.map((f) => `${defaultLiteral(f)} AS ${quoteIdent(f.name)}`).join(', ')} LIMIT 0`;
}
