// AWS flow logs delivered to S3 as Parquet (same field names, underscores for hyphens, typed
// columns). DuckDB reads the file and renders each row back into the space-separated form,
// which then goes through the same parser as text: one mapping, one set of checks.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { BatchSink } from '../../source.js';
import type { ParserOptions } from '../parser.js';
import { SpaceSeparatedParser } from '../space-separated.js';
import { knownCount } from '../field-kinds.js';
import { AWS_FIELDS } from './fields.js';
import { AWS_DIALECT } from './text.js';
import { UnreadableFile } from '../unreadable.js';

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface ParquetResult {
  records: number;
  rows: number;
}

/**
 * Reads an AWS flow-log Parquet file into `sink`. Rows count as lines for error messages;
 * `shouldStop` is asked between chunks.
 */
export async function readAwsParquet(file: string, sink: BatchSink, opts: ParserOptions, shouldStop: () => boolean = () => false): Promise<ParquetResult> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  let conn: DuckDBConnection | undefined;
  try {
    conn = await db.connect();
    const src = `read_parquet(${quoteLiteral(file)}, hive_partitioning = false)`;
    const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`).catch((e: unknown) => {
      throw new UnreadableFile(`not a readable Parquet file (${(e as Error).message.split('\n')[0]})`);
    });
    const names = described.getRows().map((r) => String(r[0]));
    if (knownCount(names, AWS_FIELDS) < 2) throw new UnreadableFile(`not an AWS flow-log Parquet file (columns: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})`);
    const parser = new SpaceSeparatedParser(sink, AWS_DIALECT, { ...opts, fields: names });
    const cols = names.map((n) => `coalesce(replace(CAST(${quoteIdent(n)} AS VARCHAR), ' ', '_'), '-')`).join(', ');
    const result = await conn.stream(`SELECT concat_ws(' ', ${cols}) FROM ${src}`);
    const buf = new Uint8Array(1 << 16);
    const enc = new TextEncoder();
    let rows = 0;
    for (;;) {
      if (shouldStop()) break;
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const lines = chunk.getColumnVector(0);
      for (let i = 0; i < chunk.rowCount; i++) {
        const line = String(lines.getItem(i) ?? '');
        const { read, written } = enc.encodeInto(line, buf);
        rows++;
        if (read < line.length) opts.problems.add(rows, 'record too long', `${line.length} characters`);
        else parser.line(buf, 0, written, rows);
      }
    }
    return { records: parser.records, rows };
  } finally {
    conn?.closeSync();
    db.closeSync();
  }
}
