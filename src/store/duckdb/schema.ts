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

/**
 * Bumped when the stored form changes (v2: 64-bit counters signed; v3: compacted files keep
 * packet times as offsets).
 */
const STORAGE_VERSION = 3;

export function schemaFingerprint(fields: readonly FieldDef[] = FIELDS): string {
  const text = `${STORAGE_VERSION};` + fields.map((f) => `${f.name}:${f.type}:${(f.values ?? []).join('|')}:${duckdbType(f)}`).join(',');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * How a file lays out the record. `raw`: one column per field (fresh segments, and compacted
 * files of older versions). `offsets`: compacted files, where first_ms is kept as an offset
 * from the window start and last_ms as an offset from first_ms. Packet times are random
 * within a window but their offsets repeat: this alone saves about a byte per flow.
 */
export type Layout = 'raw' | 'offsets';

const START_MS = 'CAST("start" AS BIGINT) * 1000';

/** The physical columns of an `offsets` file, written from a relation of whole records. */
export function offsetsSelect(): string {
  return FIELDS.map((f) => {
    if (f.name === 'first_ms') return `CASE WHEN "first_ms" = 0 THEN NULL ELSE "first_ms" - ${START_MS} END AS "first_off"`;
    if (f.name === 'last_ms') return `CASE WHEN "last_ms" = 0 THEN NULL ELSE "last_ms" - (CASE WHEN "first_ms" = 0 THEN ${START_MS} ELSE "first_ms" END) END AS "last_off"`;
    return quoteIdent(f.name);
  }).join(', ');
}

/** Column names an up-to-date file of a layout holds. */
export function layoutColumns(layout: Layout): string[] {
  return FIELDS.map((f) => (layout === 'offsets' && f.name === 'first_ms' ? 'first_off' : layout === 'offsets' && f.name === 'last_ms' ? 'last_off' : f.name));
}

/**
 * The select list that turns files of a layout into whole current records. With `available`
 * (column name → DuckDB type, from files of an older schema), missing columns get their
 * default and changed types are cast; columns no longer in the schema are dropped.
 */
export function recordSelect(layout: Layout, available?: ReadonlyMap<string, string>, everyFileHasAll = true): string {
  return FIELDS.map((f) => {
    const col = quoteIdent(f.name);
    if (layout === 'offsets' && f.name === 'first_ms') return `CAST(COALESCE(${START_MS} + "first_off", 0) AS BIGINT) AS "first_ms"`;
    if (layout === 'offsets' && f.name === 'last_ms')
      return `CAST(CASE WHEN "last_off" IS NULL THEN 0 ELSE COALESCE(${START_MS} + "first_off", ${START_MS}) + "last_off" END AS BIGINT) AS "last_ms"`;
    if (!available) return col;
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
