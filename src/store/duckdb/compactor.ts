// Background work on stored files, done by the one process that holds the writer lock:
// compaction (many small uncompressed segments → one zstd file per hour, sorted so that it
// compresses well), retention (whole files past the horizon are deleted), schema migration
// (old files rewritten to the current record) and recovery after a crash.

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { FIELDS } from '../../schema/fields.js';
import { fsyncDir, isTmpName } from '../../util/durable.js';
import type { DuckDbEngine } from './engine.js';
import { listStaged, STAGING, type Manifest, type SegmentInfo } from './manifest.js';
import { layoutColumns, offsetsSelect, recordSelect, schemaFingerprint, type Layout } from './schema.js';
import { fileListSql, quoteString, readParquetSql } from './sql.js';
import { ROLLUP_TIERS, type RollupTier } from '../rollups.js';
import { rollupSelect } from './rollup-sql.js';

async function syncFile(file: string): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface CompactionOptions {
  /** Compact once this many staged rows wait… */
  minRows: number;
  /** …or once the oldest staged segment is this old. */
  maxAgeMs: number;
  /** Re-merge an hour's compacted files when it has more than this many. */
  maxFilesPerHour: number;
  /** Order inside compacted files: grouping like rows is what makes them small. */
  sortBy: readonly string[];
  rowGroupRows: number;
  zstdLevel: number;
}

export const DEFAULT_COMPACTION: CompactionOptions = {
  minRows: 4_000_000,
  maxAgeMs: 5 * 60_000,
  maxFilesPerHour: 6,
  // Time first: packet times and windows then repeat within a row group, and time-range
  // queries skip row groups by their statistics.
  sortBy: ['start', 'interface_id', 'direction', 'src_addr', 'dst_addr'],
  // Large row groups and a higher zstd level cost compaction time but save ~15 % of disk.
  rowGroupRows: 1_000_000,
  zstdLevel: 9,
};

const HOUR = 3600;

function hourDir(hourStart: number): string {
  const iso = new Date(hourStart * 1000).toISOString();
  return `date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}

let outSeq = 0;
function outputName(hourStart: number, prefix = ''): string {
  return `${prefix}${hourDir(hourStart)}/part-${Date.now().toString(36)}${process.pid.toString(36)}_${outSeq++}.parquet`;
}

export const ROLLUP_DIR = 'rollups';

export function layoutOf(f: SegmentInfo): Layout {
  return f.layout ?? 'raw';
}

/** Every file a compacted entry owns: the records and their rollups. */
export function ownedFiles(f: SegmentInfo): string[] {
  return [f.name, ...Object.values(f.rollups ?? {}).map((r) => r.name)];
}

export interface CompactionResult {
  inputs: number;
  outputs: number;
  rows: number;
}

export class Compactor {
  /** Files folded away but perhaps still being read by a query: deleted on the next pass. */
  private doomed: string[] = [];

  constructor(
    private readonly flowsDir: string,
    private readonly engine: DuckDbEngine,
    private readonly manifest: Manifest,
    private readonly opts: CompactionOptions,
    private readonly log: Logger,
    /** Set of names currently read by queries; deletion waits for them. */
    private readonly inUse: () => ReadonlySet<string>,
  ) {}

  private abs(name: string): string {
    return path.join(this.flowsDir, name);
  }

  /** Cleans up after a crash: temporary files, and inputs a committed compaction left behind. */
  async recover(): Promise<void> {
    const walk = async (dir: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (isTmpName(e.name) || e.name.endsWith('.parquet.tmp')) await fs.rm(p, { force: true });
      }
    };
    await walk(this.flowsDir);
    // Compacted outputs renamed into place by a compaction that crashed before its manifest
    // commit: their rows are still in the (unconsumed) inputs, so the outputs go.
    const live = new Set(this.manifest.data.files.flatMap(ownedFiles));
    const sweepOrphans = async (dir: string, rel: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (r !== STAGING) await sweepOrphans(path.join(dir, e.name), r);
        } else if (e.name.endsWith('.parquet') && !live.has(r)) await fs.rm(path.join(dir, e.name), { force: true });
      }
    };
    await sweepOrphans(this.flowsDir, '');
    if (this.manifest.data.consumed.length) {
      for (const n of this.manifest.data.consumed) await fs.rm(this.abs(n), { force: true });
      await this.manifest.commit((d) => (d.consumed = []));
    }
  }

  /** True when every file holds exactly the current columns of its layout. */
  private async uniform(files: readonly string[], layout: Layout): Promise<boolean> {
    if (files.length === 0) return true;
    const want = layoutColumns(layout);
    const r = await this.engine.query(`SELECT file_name, string_agg(name, ',' ORDER BY name) FROM parquet_schema(${fileListSql(files.map((f) => this.abs(f)))}) WHERE num_children IS NULL GROUP BY 1`);
    const expected = [...want].sort().join(',');
    return r.rows.length === files.length && r.rows.every((row) => row[1] === expected);
  }

  /** Column name → DuckDB type over files of older schemas (missing columns become defaults). */
  private async duckTypes(files: readonly string[]): Promise<Map<string, string>> {
    const r = await this.engine.query(`DESCRIBE SELECT * FROM ${readParquetSql(files.map((f) => this.abs(f)), true)}`);
    return new Map(r.rows.map((row) => [String(row[0]), String(row[1])]));
  }

  /**
   * Whole current records from files of both layouts and any schema version, as one relation:
   * the compactor's input. Up-to-date files are read as they are; older ones through casts
   * and defaults.
   */
  private async recordsOf(inputs: readonly SegmentInfo[], migrating: boolean): Promise<string> {
    const parts: string[] = [];
    for (const layout of ['raw', 'offsets'] as const) {
      const files = inputs.filter((i) => layoutOf(i) === layout).map((i) => i.name);
      if (files.length === 0) continue;
      const fresh = !migrating && (await this.uniform(files, layout));
      const select = fresh ? recordSelect(layout) : recordSelect(layout, await this.duckTypes(files), await this.uniform(files, layout));
      parts.push(`SELECT ${select} FROM ${readParquetSql(files.map((f) => this.abs(f)), !fresh)}`);
    }
    return `(${parts.join(' UNION ALL ')})`;
  }

  /**
   * Writes the records of `source` whose window starts in [hour, hour+1h) into one sorted,
   * zstd-compressed file in the `offsets` layout, with its rollups; returns it, fsynced, under
   * temporary names.
   */
  private async writeHour(source: string, hourStart: number): Promise<SegmentInfo> {
    const name = outputName(hourStart);
    const final = this.abs(name);
    await fs.mkdir(path.dirname(final), { recursive: true });
    const tmp = `${final}.tmp`;
    const order = this.opts.sortBy.map((c) => `"${c}"`).join(', ');
    const r = await this.engine.query(
      `COPY (SELECT ${offsetsSelect()} FROM ${source} WHERE "start" >= ${hourStart} AND "start" < ${hourStart + HOUR} ORDER BY ${order}) TO ${quoteString(tmp)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${this.opts.zstdLevel}, ROW_GROUP_SIZE ${this.opts.rowGroupRows})`,
    );
    const rows = Number(r.rows[0]?.[0] ?? 0);
    await syncFile(tmp);
    const st = await fs.stat(tmp);
    const out: SegmentInfo = { name, rows, minStart: hourStart, maxStart: hourStart + HOUR - 1, bytes: st.size, layout: 'offsets', rollups: {} };
    if (rows > 0) for (const tier of ROLLUP_TIERS) out.rollups![tier.name] = await this.writeRollup(tmp, hourStart, tier);
    return out;
  }

  /** One tier's rows for a freshly written hour file (under a temporary name, fsynced). */
  private async writeRollup(flowsFile: string, hourStart: number, tier: RollupTier): Promise<{ name: string; bytes: number }> {
    const name = outputName(hourStart, `${ROLLUP_DIR}/${tier.name}/`);
    const tmp = `${this.abs(name)}.tmp`;
    await fs.mkdir(path.dirname(tmp), { recursive: true });
    await this.engine.run(`COPY (${rollupSelect(tier, readParquetSql([flowsFile]))} ORDER BY ALL) TO ${quoteString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    await syncFile(tmp);
    return { name, bytes: (await fs.stat(tmp)).size };
  }

  /**
   * Rewrites `inputs` as one file per hour they cover and swaps them in the manifest in one
   * commit. Refuses to commit if the row counts do not add up: nothing is ever dropped here.
   */
  async rewrite(inputs: readonly SegmentInfo[], migrating = false): Promise<CompactionResult> {
    if (inputs.length === 0) return { inputs: 0, outputs: 0, rows: 0 };
    const names = inputs.map((i) => i.name);
    const hours = new Set<number>();
    for (const i of inputs) for (let h = Math.floor(i.minStart / HOUR) * HOUR; h <= i.maxStart; h += HOUR) hours.add(h);
    const outputs: SegmentInfo[] = [];
    try {
      for (const h of [...hours].sort((a, b) => a - b)) {
        const hourInputs = inputs.filter((i) => i.maxStart >= h && i.minStart < h + HOUR);
        const out = await this.writeHour(await this.recordsOf(hourInputs, migrating), h);
        if (out.rows > 0) outputs.push(out);
        else await fs.rm(this.abs(out.name) + '.tmp', { force: true });
      }
      const inRows = inputs.reduce((n, i) => n + i.rows, 0);
      const outRows = outputs.reduce((n, o) => n + o.rows, 0);
      if (inRows !== outRows) throw new Error(`compaction row count mismatch: ${inRows} in, ${outRows} out`);
      for (const o of outputs)
        for (const f of ownedFiles(o)) {
          await fs.rename(this.abs(f) + '.tmp', this.abs(f));
          await fsyncDir(path.dirname(this.abs(f)));
        }
    } catch (e) {
      for (const o of outputs) for (const f of ownedFiles(o)) await fs.rm(this.abs(f) + '.tmp', { force: true });
      throw e;
    }
    const gone = new Set(names);
    await this.manifest.commit((d) => {
      d.files = d.files.filter((f) => !gone.has(f.name)).concat(outputs);
      d.consumed.push(...names.filter((n) => n.startsWith(STAGING + '/')));
      d.schema = schemaFingerprint();
    });
    this.doomed.push(...inputs.flatMap(ownedFiles));
    return { inputs: inputs.length, outputs: outputs.length, rows: outputs.reduce((n, o) => n + o.rows, 0) };
  }

  /** Deletes files that compaction or retention replaced, once no query reads them. */
  async sweep(): Promise<void> {
    if (this.doomed.length === 0) return;
    const busy = this.inUse();
    const keep: string[] = [];
    const deleted: string[] = [];
    for (const n of this.doomed) {
      if (busy.has(n)) keep.push(n);
      else {
        await fs.rm(this.abs(n), { force: true });
        deleted.push(n);
      }
    }
    this.doomed = keep;
    const del = new Set(deleted);
    if (this.manifest.data.consumed.some((c) => del.has(c))) await this.manifest.commit((d) => (d.consumed = d.consumed.filter((c) => !del.has(c))));
  }

  /** One pass: compacts staged segments when enough have gathered, re-merges crowded hours. */
  async compact(now = Date.now(), force = false): Promise<CompactionResult> {
    await this.sweep();
    const consumed = new Set(this.manifest.data.consumed);
    const staged = listStaged(this.flowsDir).filter((s) => !consumed.has(s.name));
    const rows = staged.reduce((n, s) => n + s.rows, 0);
    let oldestMs = Infinity;
    for (const s of staged) {
      const st = await fs.stat(this.abs(s.name)).catch(() => undefined);
      if (st) oldestMs = Math.min(oldestMs, st.mtimeMs);
    }
    const due = staged.length > 0 && (force || rows >= this.opts.minRows || now - oldestMs >= this.opts.maxAgeMs);
    const inputs: SegmentInfo[] = due ? [...staged] : [];
    // Fold in an hour's earlier compacted files when they have piled up.
    const byHour = new Map<number, SegmentInfo[]>();
    for (const f of this.manifest.data.files) {
      const h = Math.floor(f.minStart / HOUR) * HOUR;
      byHour.set(h, [...(byHour.get(h) ?? []), f]);
    }
    const touched = new Set(inputs.map((i) => Math.floor(i.minStart / HOUR) * HOUR));
    for (const [h, files] of byHour) if (files.length > this.opts.maxFilesPerHour || (touched.has(h) && files.length >= this.opts.maxFilesPerHour)) inputs.push(...files);
    if (inputs.length === 0) return { inputs: 0, outputs: 0, rows: 0 };
    const t0 = Date.now();
    const res = await this.rewrite(inputs);
    this.log.info({ ...res, ms: Date.now() - t0 }, 'compacted flow files');
    return res;
  }

  /** Rewrites every file written under another schema, so that all files share the current one. */
  async migrate(): Promise<boolean> {
    const current = schemaFingerprint();
    const staged = listStaged(this.flowsDir);
    const all = [...this.manifest.data.files, ...staged];
    if (all.length === 0) {
      if (this.manifest.data.schema !== current) await this.manifest.commit((d) => (d.schema = current));
      return false;
    }
    if (this.manifest.data.schema === current) {
      let fresh = true;
      for (const layout of ['raw', 'offsets'] as const) fresh &&= await this.uniform(all.filter((f) => layoutOf(f) === layout).map((f) => f.name), layout);
      if (fresh) return false;
    }
    this.log.info({ files: all.length }, 'migrating stored flows to the current schema');
    await this.rewrite(all, true);
    await this.sweep();
    return true;
  }

  /** Drops whole files whose every window started before now − days. */
  async retain(days: number, nowSec: number): Promise<{ removedRows: number; removedFiles: number }> {
    const cutoff = nowSec - days * 86400;
    const oldCompacted = this.manifest.data.files.filter((f) => f.maxStart < cutoff);
    const consumed = new Set(this.manifest.data.consumed);
    const oldStaged = listStaged(this.flowsDir).filter((s) => s.maxStart < cutoff && !consumed.has(s.name));
    if (oldCompacted.length + oldStaged.length === 0) return { removedRows: 0, removedFiles: 0 };
    const gone = new Set(oldCompacted.map((f) => f.name));
    await this.manifest.commit((d) => {
      d.files = d.files.filter((f) => !gone.has(f.name));
      d.consumed.push(...oldStaged.map((s) => s.name));
    });
    this.doomed.push(...oldCompacted.flatMap(ownedFiles), ...oldStaged.map((s) => s.name));
    await this.sweep();
    // Empty hour and date folders go too, so the tree mirrors what is kept.
    for (const f of oldCompacted) {
      const hourPath = path.dirname(this.abs(f.name));
      await fs.rmdir(hourPath).catch(() => {});
      await fs.rmdir(path.dirname(hourPath)).catch(() => {});
    }
    const removed = [...oldCompacted, ...oldStaged];
    return { removedRows: removed.reduce((n, f) => n + f.rows, 0), removedFiles: removed.length };
  }
}
