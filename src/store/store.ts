// The store interface: what the pipeline, the API and the CLI need from a place that keeps
// flow records. DuckDB (embedded, the default) and ClickHouse implement it, each with its own
// SQL dialect behind `sql()`.

import type { FlowBatch } from '../schema/batch.js';
import type { FieldName } from '../schema/fields.js';
import type { FilterNode } from '../query/index.js';

/** [from, to) in unix seconds, matched against a record's window start. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Exact-value filter: the field equals one of the values (values are text, as typed). */
export interface FieldFilter {
  field: FieldName;
  values: string[];
}

export interface FlowsQuery {
  range: TimeRange;
  /** ANDed together; each is an OR over its values. */
  filters?: FieldFilter[];
  /** A query-language filter, ANDed with `filters`. */
  filter?: FilterNode;
  limit: number;
  /** Newest windows first (default) or oldest first. */
  order?: 'newest' | 'oldest';
}

export interface ResultColumn {
  name: string;
  /** The engine's type name (e.g. UBIGINT, VARCHAR, UUID). */
  type: string;
}

/** A query result with values already in JS form: numbers, strings, addresses as text. */
export interface QueryResult {
  columns: ResultColumn[];
  rows: (string | number | boolean | null)[][];
}

export type Row = QueryResult['rows'][number];

export interface SqlOptions {
  /**
   * Make `flows` the named rollup tier instead of the raw records: one row per bucket and
   * dimension values, with summed packets and bytes and a `flows` count.
   */
  tier?: string;
  /**
   * The statement is a plain search, newest first, of at most this many rows: a store may
   * answer it from the newest part of the range alone when that part holds enough rows.
   */
  newestFirst?: number;
}

/** A result read batch by batch; `close` stops the query early and releases it. */
export interface SqlRowStream {
  columns: ResultColumn[];
  batches: AsyncIterable<Row[]>;
  close(): void;
}

/** A result already read whole, as a stream of one batch. */
export function streamOf(res: QueryResult): SqlRowStream {
  return {
    columns: res.columns,
    batches: (async function* () {
      if (res.rows.length) yield res.rows;
    })(),
    close: () => {},
  };
}

export interface StoreStats {
  /** Records acknowledged as stored since start. */
  appendedRows: number;
  /** Records held in memory, not yet durable. */
  bufferedRows: number;
  files: number;
  bytesOnDisk: number;
}

export interface FlowStore {
  readonly dialect: 'duckdb' | 'clickhouse';
  /** Creates or migrates the schema, recovers interrupted work. Idempotent. */
  start(): Promise<void>;
  /** Flushes everything buffered, then releases resources. */
  stop(): Promise<void>;
  /**
   * Stores a batch. Resolves once the rows are durable (they survive a crash of the
   * process). The store owns the batch until then: do not reuse it before it resolves.
   */
  append(batch: FlowBatch): Promise<void>;
  /** Forces buffered rows to disk now. */
  flush(): Promise<void>;
  /** Records in a time range matching exact-field filters. */
  flows(q: FlowsQuery): Promise<FlowBatch>;
  /**
   * Runs a read-only SQL statement in the store's dialect over a relation named `flows`
   * holding the records of `range`.
   */
  sql(statement: string, range: TimeRange, opts?: SqlOptions): Promise<QueryResult>;
  /**
   * Like `sql()`, but rows arrive in batches as the engine produces them and an aborted
   * `signal` interrupts the running query.
   */
  sqlStream?(statement: string, range: TimeRange, opts?: SqlOptions & { signal?: AbortSignal }): Promise<SqlRowStream>;
  /** True when `sql()` accepts a rollup tier (see src/store/rollups.ts). */
  readonly rollups?: boolean;
  /** Drops data whose window started more than `days` days before `now` (unix s). */
  applyRetention(days: number, now?: number): Promise<{ removedRows: number; removedFiles: number }>;
  stats(): StoreStats;
}
