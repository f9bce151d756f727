// The embedded DuckDB instance: an in-memory database that reads the store's Parquet files.
// Nothing is kept in a DuckDB database file, so any number of processes (a server and CLI
// queries) can read the same data directory at once.

import { DuckDBInstance, DuckDBTypeId, DuckDBUUIDValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { formatIp } from '../../schema/ip.js';
import type { QueryResult, ResultColumn, Row, SqlRowStream } from '../store.js';

export interface EngineOptions {
  threads?: number;
  /** DuckDB's memory cap (e.g. "1GB"); sorts and joins beyond it spill to `tempDirectory`. */
  memoryLimit?: string;
  tempDirectory?: string;
}

const TWO127 = 1n << 127n;
const M32 = 0xffffffffn;
const ipWords = new Uint32Array(4);

/** Addresses are stored as UUIDs (16 big-endian bytes); this turns one back into text. */
export function uuidToIp(v: DuckDBUUIDValue): string {
  let u = v.hugeint + TWO127;
  for (let k = 3; k >= 0; k--) {
    ipWords[k] = Number(u & M32);
    u >>= 32n;
  }
  return formatIp(ipWords, 0);
}

export function toJs(v: DuckDBValue, typeId: DuckDBTypeId): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
    case 'string':
    case 'boolean':
      return v;
    case 'bigint':
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (v instanceof DuckDBUUIDValue) return uuidToIp(v);
  if (typeId === DuckDBTypeId.DECIMAL) return Number(String(v));
  return String(v);
}

/**
 * Addresses as text inside SQL (exports write files other tools read): dotted quad for
 * IPv4-mapped addresses, eight hex groups for the rest.
 */
const MACROS = [
  `CREATE MACRO flowlogs_uuid_hex(u) AS replace(CAST(u AS VARCHAR), '-', '')`,
  `CREATE MACRO flowlogs_hex_group(h, i) AS printf('%x', CAST(('0x' || substr(h, i, 4)) AS INTEGER))`,
  `CREATE MACRO flowlogs_hex_octet(h, i) AS CAST(CAST(('0x' || substr(h, i, 2)) AS INTEGER) AS VARCHAR)`,
  `CREATE MACRO flowlogs_ip_text_hex(h) AS CASE WHEN starts_with(h, '00000000000000000000ffff')
     THEN concat_ws('.', flowlogs_hex_octet(h, 25), flowlogs_hex_octet(h, 27), flowlogs_hex_octet(h, 29), flowlogs_hex_octet(h, 31))
     ELSE concat_ws(':', flowlogs_hex_group(h, 1), flowlogs_hex_group(h, 5), flowlogs_hex_group(h, 9), flowlogs_hex_group(h, 13),
                         flowlogs_hex_group(h, 17), flowlogs_hex_group(h, 21), flowlogs_hex_group(h, 25), flowlogs_hex_group(h, 29)) END`,
  `CREATE MACRO flowlogs_ip_text(u) AS flowlogs_ip_text_hex(flowlogs_uuid_hex(u))`,
];

export class DuckDbEngine {
  private constructor(private readonly instance: DuckDBInstance) {}

  static async create(opts: EngineOptions = {}): Promise<DuckDbEngine> {
    const config: Record<string, string> = {};
    if (opts.threads) config.threads = String(opts.threads);
    config.memory_limit = opts.memoryLimit ?? '1GB';
    if (opts.tempDirectory) config.temp_directory = opts.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', config);
    const engine = new DuckDbEngine(instance);
    // Parquet footers are read once per file and kept: queries over many files stay fast.
    await engine.run('SET parquet_metadata_cache = true');
    for (const m of MACROS) await engine.run(m);
    return engine;
  }

  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async run(sql: string): Promise<void> {
    const c = await this.instance.connect();
    try {
      await c.run(sql);
    } finally {
      c.closeSync();
    }
  }

  /** Runs a query and converts every value to JS (numbers, text addresses). */
  async query(sql: string, conn?: DuckDBConnection): Promise<QueryResult> {
    const c = conn ?? (await this.instance.connect());
    try {
      const reader = await c.runAndReadAll(sql);
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const columns: ResultColumn[] = names.map((name, i) => ({ name, type: types[i].toString() }));
      const ids = types.map((t) => t.typeId);
      const rows = reader.getRows().map((r) => r.map((v, i) => toJs(v, ids[i])));
      return { columns, rows };
    } finally {
      if (!conn) c.closeSync();
    }
  }

  /**
   * Streams a query chunk by chunk. Aborting `signal` interrupts it inside DuckDB; the
   * connection is closed (and `onDone` called) once no fetch is in flight, whichever way the
   * stream ends: read to the end, closed early, or failed.
   */
  async stream(sql: string, signal: AbortSignal | undefined, onDone: () => void): Promise<SqlRowStream> {
    const conn = await this.instance.connect();
    const onAbort = () => conn.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<unknown> = Promise.resolve();
    let closed = false;
    const release = () => {
      if (closed) return;
      closed = true;
      signal?.removeEventListener('abort', onAbort);
      void pending.finally(() => {
        conn.closeSync();
        onDone();
      });
    };
    try {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const result = await conn.stream(sql);
      const names = result.columnNames();
      const types = result.columnTypes();
      const ids = types.map((t) => t.typeId);
      async function* batches(): AsyncGenerator<Row[]> {
        try {
          for (;;) {
            const p = result.fetchChunk();
            pending = p.catch(() => {});
            const chunk = await p;
            if (!chunk || chunk.rowCount === 0) break;
            yield chunk.getRows().map((r) => r.map((v, i) => toJs(v, ids[i])));
          }
        } finally {
          release();
        }
      }
      return { columns: names.map((name, i) => ({ name, type: types[i].toString() })), batches: batches(), close: release };
    } catch (e) {
      release();
      throw e;
    }
  }

  close(): void {
    this.instance.closeSync();
  }
}
