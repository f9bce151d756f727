// The embedded store: flow records as Parquet files in the data directory, queried by an
// in-memory DuckDB. Appends are encoded in JS straight from FlowBatch columns (fast, durable
// on fsync); a background compactor folds them into sorted zstd files per hour; queries read
// only the files whose time bounds overlap the requested range.

import { FlowBatch } from '../../schema/batch.js';
import { FIELDS } from '../../schema/fields.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { InputError } from '../../util/errors.js';
import { openDataDir, WriterLock, type DataDir } from '../datadir.js';
import { streamOf, type FlowStore, type FlowsQuery, type QueryResult, type SqlOptions, type SqlRowStream, type StoreStats, type TimeRange } from '../store.js';
import { tierByName } from '../rollups.js';
import { CounterLog, type UtilisationRow } from '../counters/counter-log.js';
import { rollupColumns, rollupSelect } from './rollup-sql.js';
import { compileFilter } from './compile.js';
import { Compactor, DEFAULT_COMPACTION, layoutOf, ownedFiles, type CompactionOptions } from './compactor.js';
import { DuckDbEngine, type EngineOptions } from './engine.js';
import { Manifest, readSnapshot, type SegmentInfo } from './manifest.js';
import { emptyFlowsSql, recordSelect, schemaFingerprint } from './schema.js';
import { DEFAULT_SEGMENT_OPTIONS, SegmentWriter, type SegmentWriterOptions } from './segments.js';
import { filtersToSql, quoteIdent, rangeToSql, readParquetSql } from './sql.js';

export type StoreMode =
  /** Appends, compacts, applies retention: the one process that owns the directory. */
  | 'writer'
  /** Only reads (CLI queries next to a running server). */
  | 'reader';

export interface DuckDbStoreOptions {
  dataDir: string;
  mode?: StoreMode;
  segments?: Partial<SegmentWriterOptions>;
  compaction?: Partial<CompactionOptions>;
  /** How often the compactor looks for work; 0 disables the background loop. */
  compactEveryMs?: number;
  engine?: EngineOptions;
  log?: Logger;
}

/** Records a newest-first search reads in its first step (about one staged segment). */
const FIRST_STEP_ROWS = 250_000;

export class DuckDbStore implements FlowStore {
  readonly dialect = 'duckdb' as const;
  readonly rollups = true;
  private dir!: DataDir;
  private engine!: DuckDbEngine;
  private lock?: WriterLock;
  private manifest?: Manifest;
  private writer?: SegmentWriter;
  private compactor?: Compactor;
  private loop?: NodeJS.Timeout;
  private busy = Promise.resolve();
  private readonly reading = new Map<string, number>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly opts: DuckDbStoreOptions) {
    this.log = opts.log ?? silentLogger;
  }

  get mode(): StoreMode {
    return this.opts.mode ?? 'writer';
  }

  get dataDir(): DataDir {
    return this.dir;
  }

  /** sFlow interface counters, beside the flow records. */
  counterLog!: CounterLog;

  async start(): Promise<void> {
    const writer = this.mode === 'writer';
    this.dir = openDataDir(this.opts.dataDir, { create: writer });
    this.counterLog = new CounterLog(this.dir.path('counters'));
    this.engine = await DuckDbEngine.create({ tempDirectory: this.dir.path('tmp'), ...this.opts.engine });
    if (!writer) return;
    this.lock = new WriterLock(this.dir);
    this.lock.acquire();
    try {
      this.manifest = new Manifest(this.dir.flows, schemaFingerprint());
      const compaction = { ...DEFAULT_COMPACTION, ...this.opts.compaction };
      this.compactor = new Compactor(this.dir.flows, this.engine, this.manifest, compaction, this.log, () => new Set(this.reading.keys()));
      this.writer = new SegmentWriter(this.dir.flows, { ...DEFAULT_SEGMENT_OPTIONS, ...this.opts.segments }, () => {});
      await this.writer.init();
      await this.compactor.recover();
      await this.compactor.migrate();
    } catch (e) {
      this.lock.release();
      throw e;
    }
    const every = this.opts.compactEveryMs ?? 30_000;
    if (every > 0) {
      this.loop = setInterval(() => void this.background(() => this.compactor!.compact()), every);
      this.loop.unref();
    }
  }

  /** Runs compactor work one job at a time, logging (not throwing) failures. */
  private background<T>(job: () => Promise<T>): Promise<T | undefined> {
    const run = this.busy.then(job).catch((e: unknown) => {
      this.log.error({ err: e }, 'store maintenance failed');
      return undefined;
    });
    this.busy = run.then(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.loop) clearInterval(this.loop);
    try {
      await this.writer?.close();
      await this.busy;
    } finally {
      this.lock?.release();
      this.engine?.close();
    }
  }

  append(batch: FlowBatch): Promise<void> {
    if (!this.writer) return Promise.reject(new Error(`store opened as ${this.mode}: cannot append`));
    return this.writer.append(batch);
  }

  async flush(): Promise<void> {
    await this.writer?.flush();
    await this.counterLog?.flush();
  }

  /** Interface rates and utilisation from the stored counters. */
  utilisation(q: { fromMs: number; toMs: number; agent?: string; ifIndex?: number }): Promise<UtilisationRow[]> {
    return this.counterLog.utilisation(this.engine, q);
  }

  /** Compacts now (tests, shutdown of short-lived writers, benchmarks). */
  async compact(force = true) {
    if (!this.compactor) throw new Error('compaction needs the writer lock');
    await this.flush();
    return (await this.background(() => this.compactor!.compact(Date.now(), force))) ?? { inputs: 0, outputs: 0, rows: 0 };
  }

  async applyRetention(days: number, now = Math.floor(Date.now() / 1000)) {
    if (!this.compactor) throw new Error('retention needs the writer lock');
    if (!(days > 0)) throw new InputError(`retention must be a positive number of days, got ${days}`);
    return (await this.background(() => this.compactor!.retain(days, now))) ?? { removedRows: 0, removedFiles: 0 };
  }

  /** Files overlapping the range, pinned against deletion until `release`. */
  private pin(range: TimeRange): { files: SegmentInfo[]; release: () => void } {
    const files = readSnapshot(this.dir.flows).filter((f) => f.maxStart >= range.from && f.minStart < range.to);
    const names = files.flatMap(ownedFiles);
    for (const n of names) this.reading.set(n, (this.reading.get(n) ?? 0) + 1);
    return {
      files,
      release: () => {
        for (const n of names) {
          const c = (this.reading.get(n) ?? 1) - 1;
          if (c <= 0) this.reading.delete(n);
          else this.reading.set(n, c);
        }
      },
    };
  }

  private abs(name: string): string {
    return this.dir.path('flows', name);
  }

  /**
   * The `flows` relation for a range, as SQL: the raw records, or a rollup tier. A tier reads
   * its files for compacted hours wholly inside the range and aggregates the raw records of
   * everything else (fresh segments, partly covered hours) on the fly, so answers are exact.
   */
  private relation(files: SegmentInfo[], range: TimeRange, tierName?: string): string {
    const raw = (fs: SegmentInfo[]) => {
      const parts = (['raw', 'offsets'] as const)
        .map((layout) => fs.filter((f) => layoutOf(f) === layout))
        .filter((group) => group.length > 0)
        .map((group) => `SELECT ${recordSelect(layoutOf(group[0]))} FROM ${readParquetSql(group.map((f) => this.abs(f.name)))} WHERE ${rangeToSql(range)}`);
      return `(${parts.join(' UNION ALL ')})`;
    };
    if (!tierName) return files.length ? raw(files) : `(${emptyFlowsSql()})`;
    const tier = tierByName(tierName);
    if (!tier) throw new Error(`no rollup tier ${tierName}`);
    const whole = files.filter((f) => f.rollups?.[tier.name] && f.minStart >= range.from && f.maxStart < range.to);
    const rest = files.filter((f) => !whole.includes(f));
    const parts: string[] = [];
    if (whole.length) parts.push(`SELECT ${rollupColumns(tier)} FROM ${readParquetSql(whole.map((f) => this.abs(f.rollups![tier.name].name)))}`);
    parts.push(rollupSelect(tier, rest.length ? raw(rest) : `(${emptyFlowsSql()})`));
    return `(${parts.join(' UNION ALL ')})`;
  }

  async sql(statement: string, range: TimeRange, opts: SqlOptions = {}): Promise<QueryResult> {
    if (opts.newestFirst !== undefined && !opts.tier) return this.newestFirst(statement, range, opts.newestFirst);
    const pinned = this.pin(range);
    try {
      return await this.engine.query(`WITH flows AS ${this.relation(pinned.files, range, opts.tier)} ${statement}`);
    } finally {
      pinned.release();
    }
  }

  async sqlStream(statement: string, range: TimeRange, opts: SqlOptions & { signal?: AbortSignal } = {}): Promise<SqlRowStream> {
    if (opts.newestFirst !== undefined && !opts.tier) {
      // A page of search results is small: read it whole, newest part of the range first.
      return streamOf(await this.newestFirst(statement, range, opts.newestFirst, opts.signal));
    }
    const pinned = this.pin(range);
    try {
      return await this.engine.stream(`WITH flows AS ${this.relation(pinned.files, range, opts.tier)} ${statement}`, opts.signal, pinned.release);
    } catch (e) {
      pinned.release();
      throw e;
    }
  }

  /**
   * A newest-first search needs only the last `limit` matching rows of its range. Rather than
   * sort the whole range, ask the newest stored records, then ever longer suffixes, until
   * one holds `limit` rows or the suffix is the whole range: rows outside a suffix are all
   * older than every row inside it, so the first full page is the answer.
   */
  private async newestFirst(statement: string, range: TimeRange, limit: number, signal?: AbortSignal): Promise<QueryResult> {
    const files = readSnapshot(this.dir.flows)
      .filter((f) => f.maxStart >= range.from && f.minStart < range.to)
      .sort((a, b) => b.maxStart - a.maxStart);
    if (files.length === 0) return this.sql(statement, range);
    const top = Math.min(range.to, files[0].maxStart + 1);
    // The first step reads about the newest FIRST_STEP_ROWS records, however long or short a
    // time they cover: busy stores take a few minutes, quiet ones hours.
    let rows = 0;
    let first = top - 60;
    for (const f of files) {
      rows += f.rows;
      first = Math.min(first, f.minStart);
      if (rows >= FIRST_STEP_ROWS) break;
    }
    for (let span = Math.max(60, top - first); ; ) {
      signal?.throwIfAborted();
      const from = Math.max(range.from, top - span);
      const res = await this.sql(statement, { from, to: range.to });
      if (res.rows.length >= limit || from <= range.from) return res;
      // Widen by what the matches so far say the page needs, with room to spare, so a
      // search that is rare in recent data does not take many steps.
      const want = res.rows.length > 0 ? ((span * limit) / res.rows.length) * 1.5 : span * 16;
      span = Math.min(span * 16, Math.max(span * 2, Math.ceil(want)));
    }
  }

  async flows(q: FlowsQuery): Promise<FlowBatch> {
    const where = filtersToSql(q.filters ?? []);
    if (q.filter) {
      const expr = compileFilter(q.filter);
      if (expr !== 'TRUE') where.push(`(${expr})`);
    }
    const limit = Math.max(0, Math.floor(q.limit));
    const order = q.order === 'oldest' ? 'ASC' : 'DESC';
    const cols = FIELDS.map((f) => quoteIdent(f.name)).join(', ');
    const res = await this.sql(`SELECT ${cols} FROM flows ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY "start" ${order}, "first_ms" ${order} LIMIT ${limit}`, q.range, order === 'DESC' ? { newestFirst: limit } : {});
    const out = new FlowBatch(Math.max(1, res.rows.length));
    const names = res.columns.map((c) => c.name);
    for (const row of res.rows) {
      const rec: Record<string, string | number | null> = {};
      for (let i = 0; i < names.length; i++) rec[names[i]] = row[i] as string | number | null;
      out.push(rec);
    }
    return out;
  }

  /** Every stored file (for stats and tests). */
  files(): SegmentInfo[] {
    return readSnapshot(this.dir.flows, true);
  }

  stats(): StoreStats {
    const files = this.files();
    return {
      appendedRows: this.writer?.appendedRows ?? 0,
      bufferedRows: this.writer?.bufferedRows ?? 0,
      files: files.length,
      bytesOnDisk: files.reduce((n, f) => n + f.bytes + Object.values(f.rollups ?? {}).reduce((m, r) => m + r.bytes, 0), 0),
    };
  }
}
