// The ClickHouse store: flow records in MergeTree tables (one server, or a cluster of shards
// behind Distributed tables), rollup tiers kept by materialized views, queries compiled by this
// folder's compiler. An append is one INSERT of one Native block and resolves when ClickHouse
// has committed it. Every row carries the id of the batch it came in, so a batch that may
// already be stored (a retry after a failure whose outcome is unknown, a redelivery from the
// bus) is checked per batch and day before it is written again: nothing is lost and nothing
// is stored twice, on every ClickHouse version (18.16 has no insert deduplication tokens).

import { randomBytes } from 'node:crypto';
import { FlowBatch, type StringColumn } from '../../schema/batch.js';
import { FIELDS, type FieldName } from '../../schema/fields.js';
import { andFilters, exactFilter, type FilterNode } from '../../query/index.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { InputError } from '../../util/errors.js';
import { naturalWidth, readUnsigned, wireFromBatch, type WireBatch, type WireColumn } from '../../bus/wire.js';
import type { FlowStore, FlowsQuery, QueryResult, Row, SqlOptions, SqlRowStream, StoreStats, TimeRange } from '../store.js';
import { compileFilter } from './compile.js';
import { ClickHouseConnection, type Settings } from './connection.js';
import { blockColumns, blockRows, type ColumnData, type NativeBlock } from './native-read.js';
import { nativeBlock } from './native-write.js';
import { relationSql, substituteFlows } from './relation.js';
import { addColumnStatements, BATCH_COLUMN, flowsTable, migratableTables, PARTITION, partitionOf, qualified, schemaStatements, tierTable, type Layout } from './schema.js';
import { quoteIdent, quoteString } from './sql.js';
import { parseClickHouseUrl, type ClickHouseUrl } from './url.js';
import { ROLLUP_TIERS } from '../rollups.js';

export interface ClickHouseStoreOptions {
  /** clickhouse://host:8123/db[?cluster=…&shards=…] (see url.ts), or its parsed form. */
  url: string | ClickHouseUrl;
  log?: Logger;
  /** Create the schema at start (default true); false for processes that only read. */
  createSchema?: boolean;
  /** Per request; an INSERT or query slower than this fails (and is retried / reported). */
  requestTimeoutMs?: number;
  /** Settings for every query (e.g. max_execution_time, max_memory_usage). */
  querySettings?: Settings;
}

/** Rows per INSERT at most: ClickHouse keeps one Native block in one part per partition. */
export const MAX_INSERT_ROWS = 1_000_000;

export interface InsertOutcome {
  /** Rows written by this call. */
  inserted: number;
  /** Rows not written because ClickHouse already held them (same batch id and day). */
  skipped: number;
}

function startOf(w: WireBatch): WireColumn {
  return w.columns[FIELDS.findIndex((f) => f.name === 'start')];
}

/** Window start of row `i` of a wire batch. */
function startAt(c: WireColumn, i: number): number {
  switch (c.kind) {
    case 'zero':
      return 0;
    case 'fixed':
      return readUnsigned(c.bytes, 4, i);
    case 'narrow':
      return readUnsigned(c.bytes, c.width, i);
    default:
      throw new Error(`start sent as ${c.kind}`);
  }
}

/** Rows of a wire batch by UTC day (the partition), as row lists. */
function rowsByDay(w: WireBatch): Map<number, number[]> {
  const c = startOf(w);
  const out = new Map<number, number[]>();
  let day = -1;
  let dayStart = 0;
  let dayEnd = -1;
  let list: number[] = [];
  for (let i = 0; i < w.rows; i++) {
    const s = startAt(c, i);
    if (s < dayStart || s >= dayEnd) {
      day = partitionOf(s);
      dayStart = Math.floor(s / 86400) * 86400;
      dayEnd = dayStart + 86400;
      list = out.get(day) ?? [];
      out.set(day, list);
    }
    list.push(i);
  }
  return out;
}

/** The listed rows of a wire batch, copied. */
function pickRows(w: WireBatch, rows: readonly number[]): WireBatch {
  const n = rows.length;
  const columns = w.columns.map((c, k): WireColumn => {
    if (c.kind === 'zero') return c;
    const width = c.kind === 'fixed' ? naturalWidth(FIELDS[k]) : c.kind === 'narrow' ? c.width : c.kind === 'ipv4' ? 4 : c.codeWidth;
    const src = c.kind === 'dict' ? c.codes : c.bytes;
    const out = new Uint8Array(n * width);
    for (let i = 0; i < n; i++) out.set(src.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
    return c.kind === 'dict' ? { ...c, codes: out } : { ...c, bytes: out };
  });
  return { id: w.id, rows: n, columns };
}

export class ClickHouseStore implements FlowStore {
  readonly dialect = 'clickhouse' as const;
  readonly rollups = true;
  readonly url: ClickHouseUrl;
  readonly layout: Layout;
  private readonly conn: ClickHouseConnection;
  private readonly shardConns: ClickHouseConnection[][];
  private readonly log: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private appended = 0;
  private buffered = 0;
  private stopped = false;

  constructor(private readonly opts: ClickHouseStoreOptions) {
    this.url = typeof opts.url === 'string' ? parseClickHouseUrl(opts.url) : opts.url;
    this.layout = { database: this.url.database, cluster: this.url.cluster, replicated: this.url.replicated };
    this.log = opts.log ?? silentLogger;
    const connect = (endpoint: string) => new ClickHouseConnection({ endpoint, username: this.url.username, password: this.url.password, requestTimeoutMs: opts.requestTimeoutMs });
    this.conn = connect(this.url.endpoint);
    this.shardConns = this.url.shards.map((replicas) => replicas.map((e) => (e === this.url.endpoint ? this.conn : connect(e))));
  }

  /** The table queries read (Distributed in a cluster), qualified. */
  get flowsTable(): string {
    return qualified(this.layout, flowsTable(this.layout).read);
  }

  async start(): Promise<void> {
    if (this.opts.createSchema === false) return;
    // Every server of every shard gets the tables; with a keeper the replicated tables then
    // find each other by path.
    for (const replicas of this.shardConns) {
      for (const c of replicas) {
        for (const s of schemaStatements(this.layout)) await c.command(s);
        for (const table of migratableTables(this.layout)) {
          const have = await c.text(`SELECT name FROM system.columns WHERE database = ${quoteString(this.layout.database)} AND table = ${quoteString(table)}`);
          const names = new Set(have.split('\n').filter(Boolean));
          for (const s of addColumnStatements(this.layout, table, names)) {
            this.log.info({ endpoint: c.endpoint, table, statement: s }, 'adding a column the flow record gained');
            await c.command(s);
          }
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.flush();
    const all = new Set([this.conn, ...this.shardConns.flat()]);
    for (const c of all) await c.close().catch(() => {});
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.catch(() => {}).finally(() => this.inFlight.delete(p));
    return p;
  }

  append(batch: FlowBatch): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the ClickHouse store is stopped'));
    if (batch.length === 0) return Promise.resolve();
    const id = randomBytes(12).toString('hex');
    const parts: WireBatch[] = [];
    for (let from = 0; from < batch.length; from += MAX_INSERT_ROWS) parts.push(wireFromBatch(batch, `${id}-${from}`, from, Math.min(batch.length, from + MAX_INSERT_ROWS)));
    const n = batch.length;
    this.buffered += n;
    return this.track(
      (async () => {
        try {
          for (const p of parts) await this.insert([p]);
        } finally {
          this.buffered -= n;
        }
      })(),
    );
  }

  /**
   * Writes wire batches (ids unique per batch) as one INSERT. Batches named in `check` may be
   * in ClickHouse already, whole or by day: those rows are left out. A failed INSERT may still
   * have been committed, so callers retry with every batch in `check`.
   */
  async insert(parts: readonly WireBatch[], check: ReadonlySet<string> = new Set()): Promise<InsertOutcome> {
    let todo = parts.filter((p) => p.rows > 0);
    let skipped = 0;
    const suspects = todo.filter((p) => check.has(p.id));
    if (suspects.length) {
      const present = await this.presentRows(suspects);
      todo = todo.flatMap((p) => {
        if (!check.has(p.id)) return [p];
        const days = rowsByDay(p);
        const keep: number[] = [];
        for (const [day, rows] of days) {
          const have = present.get(`${p.id}\t${day}`) ?? 0;
          if (have === 0) keep.push(...rows);
          else {
            skipped += rows.length;
            if (have !== rows.length) this.log.warn({ batch: p.id, day, have, rows: rows.length }, 'ClickHouse holds part of a batch-day; not writing it again');
          }
        }
        if (keep.length === p.rows) return [p];
        return keep.length ? [pickRows(p, keep)] : [];
      });
    }
    let inserted = 0;
    let group: WireBatch[] = [];
    let rows = 0;
    const send = async () => {
      if (!group.length) return;
      const block = nativeBlock(group);
      await this.conn.insert(this.flowsTable, block.columns, [block.body], this.layout.cluster ? { insert_distributed_sync: 1 } : {});
      inserted += rows;
      group = [];
      rows = 0;
    };
    for (const p of todo) {
      if (rows + p.rows > MAX_INSERT_ROWS) await send();
      group.push(p);
      rows += p.rows;
    }
    await send();
    this.appended += inserted;
    return { inserted, skipped };
  }

  /** Rows ClickHouse holds per `batch id \t day` for these batches. */
  private async presentRows(parts: readonly WireBatch[]): Promise<Map<string, number>> {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of parts) {
      const c = startOf(p);
      for (let i = 0; i < p.rows; i++) {
        const s = startAt(c, i);
        if (s < lo) lo = s;
        if (s > hi) hi = s;
      }
    }
    const ids = parts.map((p) => quoteString(p.id)).join(', ');
    const text = await this.conn.text(
      `SELECT ${quoteIdent(BATCH_COLUMN)}, ${PARTITION} AS d, count() FROM ${this.flowsTable} ` +
        `WHERE \`start\` >= ${lo} AND \`start\` <= ${hi} AND ${quoteIdent(BATCH_COLUMN)} IN (${ids}) GROUP BY ${quoteIdent(BATCH_COLUMN)}, d`,
    );
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [id, day, n] = line.split('\t');
      out.set(`${id}\t${day}`, Number(n));
    }
    return out;
  }

  async flush(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Every query runs read-only, and with filters pushed into the `flows` subquery (where the
   * primary key can use them; off by default in 18.16, on in later releases).
   */
  private settings(): Settings {
    return { readonly: 2, enable_optimize_predicate_expression: 1, ...this.opts.querySettings };
  }

  private statement(statement: string, range: TimeRange, tier?: string): string {
    return substituteFlows(statement, relationSql(this.layout, range, tier));
  }

  async sql(statement: string, range: TimeRange, opts: SqlOptions = {}): Promise<QueryResult> {
    const stmt = this.statement(statement, range, opts.tier);
    let columns: QueryResult['columns'] = [];
    const rows: Row[] = [];
    for await (const b of this.conn.blocks(stmt, { settings: this.settings() })) {
      if (!columns.length) columns = blockColumns(b);
      for (const r of blockRows(b)) rows.push(r);
    }
    return { columns, rows };
  }

  async sqlStream(statement: string, range: TimeRange, opts: SqlOptions & { signal?: AbortSignal } = {}): Promise<SqlRowStream> {
    const stmt = this.statement(statement, range, opts.tier);
    const ac = new AbortController();
    const onAbort = () => ac.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const it = this.conn.blocks(stmt, { signal: ac.signal, settings: this.settings() });
    const close = () => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (!ac.signal.aborted) ac.abort(new Error('closed'));
      void it.return(undefined).catch(() => {});
    };
    let first: IteratorResult<NativeBlock>;
    try {
      first = await it.next();
    } catch (e) {
      close();
      throw e;
    }
    const columns = first.done ? [] : blockColumns(first.value);
    async function* batches(): AsyncGenerator<Row[]> {
      try {
        if (first.done) return;
        if (first.value.rows) yield blockRows(first.value);
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          if (r.value.rows) yield blockRows(r.value);
        }
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    }
    return { columns, batches: batches(), close };
  }

  async flows(q: FlowsQuery): Promise<FlowBatch> {
    let filter: FilterNode = exactFilter(q.filters ?? []);
    if (q.filter) filter = andFilters(filter, q.filter);
    const where = filter.kind === 'all' ? '' : ` WHERE ${compileFilter(filter)}`;
    const order = q.order === 'oldest' ? 'ASC' : 'DESC';
    const limit = Math.max(0, Math.floor(q.limit));
    const stmt = this.statement(
      `SELECT ${FIELDS.map((f) => quoteIdent(f.name)).join(', ')} FROM flows${where} ORDER BY \`start\` ${order}, \`first_ms\` ${order} LIMIT ${limit}`,
      q.range,
    );
    const blocks: NativeBlock[] = [];
    for await (const b of this.conn.blocks(stmt, { settings: this.settings() })) if (b.rows) blocks.push(b);
    const total = blocks.reduce((n, b) => n + b.rows, 0);
    const out = new FlowBatch(Math.max(1, total), { shared: false });
    for (const b of blocks) fillBatch(out, b);
    return out;
  }

  async applyRetention(days: number, now = Math.floor(Date.now() / 1000)): Promise<{ removedRows: number; removedFiles: number }> {
    if (!(days > 0)) throw new InputError(`retention must be a positive number of days, got ${days}`);
    const cutoff = now - days * 86400;
    // Whole days only: a day goes once its last second is past the cutoff. Dropping a
    // partition is instant; deleting rows inside one would rewrite it.
    const lastDay = partitionOf(Math.floor(cutoff / 86400) * 86400 - 86400);
    const tables = [flowsTable(this.layout).local, ...ROLLUP_TIERS.map((t) => tierTable(this.layout, t).local)];
    let removedRows = 0;
    let removedFiles = 0;
    for (const replicas of this.shardConns) {
      // Replicated tables drop a partition on every replica from one; plain ones need each.
      for (const c of this.layout.replicated ? replicas.slice(0, 1) : replicas) {
        for (const table of tables) {
          const text = await c.text(
            `SELECT partition, sum(rows), count() FROM system.parts WHERE active AND database = ${quoteString(this.layout.database)} AND table = ${quoteString(table)} GROUP BY partition`,
          );
          for (const line of text.split('\n')) {
            if (!line) continue;
            const [partition, rows, parts] = line.split('\t');
            if (!/^\d{8}$/.test(partition) || Number(partition) > lastDay) continue;
            await c.command(`ALTER TABLE ${qualified(this.layout, table)} DROP PARTITION ${partition}`);
            if (table === flowsTable(this.layout).local) {
              removedRows += Number(rows);
              removedFiles += Number(parts);
            }
          }
        }
      }
    }
    return { removedRows, removedFiles };
  }

  stats(): StoreStats {
    return { appendedRows: this.appended, bufferedRows: this.buffered, files: 0, bytesOnDisk: 0 };
  }

  /** Rows, parts and bytes on disk of the records and of the rollup tiers, over every shard. */
  async storage(): Promise<{ rows: number; parts: number; bytes: number; rollupBytes: number }> {
    const flows = flowsTable(this.layout).local;
    const tables = [flows, ...ROLLUP_TIERS.map((t) => tierTable(this.layout, t).local)];
    const out = { rows: 0, parts: 0, bytes: 0, rollupBytes: 0 };
    for (const replicas of this.shardConns) {
      const t = await replicas[0].text(
        `SELECT table, sum(rows), count(), sum(bytes_on_disk) FROM system.parts WHERE active AND database = ${quoteString(this.layout.database)} AND table IN (${tables.map(quoteString).join(', ')}) GROUP BY table`,
      );
      for (const line of t.split('\n')) {
        if (!line) continue;
        const [table, r, p, b] = line.split('\t');
        out.parts += Number(p);
        if (table === flows) {
          out.rows += Number(r);
          out.bytes += Number(b);
        } else out.rollupBytes += Number(b);
      }
    }
    return out;
  }

  /** Runs a statement on the entry server as it is (tests, maintenance). */
  command(sql: string): Promise<void> {
    return this.conn.command(sql);
  }

  text(sql: string): Promise<string> {
    return this.conn.text(sql);
  }
}

/** Appends a block of whole records (columns named like the fields) to a batch. */
function fillBatch(out: FlowBatch, b: NativeBlock): void {
  const at = out.length;
  const n = b.rows;
  for (const col of b.columns) {
    const f = FIELDS.find((x) => x.name === col.name);
    if (!f) continue;
    const d: ColumnData = col.data;
    const dst = out.cols[f.name as FieldName];
    if (f.type === 'string') {
      if (d.kind !== 'string') throw new Error(`${f.name}: unexpected ${d.kind} column`);
      const sc = dst as StringColumn;
      for (let i = 0; i < n; i++) sc.codes[at + i] = sc.dict.intern(d.values[i]);
      continue;
    }
    if (d.kind !== 'fixed') throw new Error(`${f.name}: unexpected ${d.kind} column`);
    const by = d.bytes;
    if (f.type === 'ip') {
      const w = dst as Uint32Array;
      for (let i = 0; i < n * 4; i++) w[at * 4 + i] = by.readUInt32BE(i * 4);
      continue;
    }
    const a = dst as Uint8Array;
    const width = d.width;
    for (let i = 0; i < n; i++) a[at + i] = readUnsigned(by, width, i);
  }
  out.length += n;
}

