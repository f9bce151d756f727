// Interface counters (from sFlow counter samples) kept in the data directory so interface
// utilisation can be charted. They are few (one row per interface every 20-30 s), so they are
// appended as JSON lines, one file per day, fsynced on each write, and read back with DuckDB.

import fs from 'node:fs';
import path from 'node:path';
import type { InterfaceCounterRecord } from '../../sources/sflow/index.js';
import type { DuckDbEngine } from '../duckdb/engine.js';
import { fileListSql, quoteString } from '../duckdb/sql.js';
import { fsyncDir } from '../../util/durable.js';

export interface UtilisationRow {
  time_ms: number;
  agent: string;
  if_index: number;
  if_speed: number;
  in_bps: number;
  out_bps: number;
  in_pps: number;
  out_pps: number;
  /** Busier direction over the interface speed, 0-1; null when the speed is unknown. */
  utilisation: number | null;
}

export class CounterLog {
  private pending: InterfaceCounterRecord[] = [];
  private writing = Promise.resolve();

  constructor(private readonly dir: string) {}

  add(rows: readonly InterfaceCounterRecord[]): void {
    this.pending.push(...rows);
  }

  /** Appends what is pending to the day's file and fsyncs it. */
  flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (rows.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      await fs.promises.mkdir(this.dir, { recursive: true });
      const byDay = new Map<string, string>();
      for (const r of rows) {
        const day = new Date(r.time_ms).toISOString().slice(0, 10);
        byDay.set(day, (byDay.get(day) ?? '') + JSON.stringify(r) + '\n');
      }
      for (const [day, text] of byDay) {
        const file = path.join(this.dir, `${day}.jsonl`);
        const existed = fs.existsSync(file);
        const fh = await fs.promises.open(file, 'a');
        try {
          await fh.write(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
        if (!existed) await fsyncDir(this.dir);
      }
    });
    return this.writing;
  }

  /** Day files overlapping [fromMs, toMs). */
  files(fromMs: number, toMs: number): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(n));
    } catch {
      return [];
    }
    const first = new Date(fromMs).toISOString().slice(0, 10);
    const last = new Date(Math.max(fromMs, toMs - 1)).toISOString().slice(0, 10);
    return names.filter((n) => n.slice(0, 10) >= first && n.slice(0, 10) <= last).map((n) => path.join(this.dir, n));
  }

  /**
   * Rates between consecutive samples of each interface (counters are cumulative; a counter
   * that went backwards, i.e. a reset or wrap, yields no rate for that step).
   */
  async utilisation(engine: DuckDbEngine, q: { fromMs: number; toMs: number; agent?: string; ifIndex?: number }): Promise<UtilisationRow[]> {
    const files = this.files(q.fromMs, q.toMs);
    if (files.length === 0) return [];
    const where = [`time_ms >= ${Math.floor(q.fromMs)}`, `time_ms < ${Math.ceil(q.toMs)}`];
    if (q.agent) where.push(`agent = ${quoteString(q.agent)}`);
    if (q.ifIndex !== undefined) where.push(`if_index = ${Math.floor(q.ifIndex)}`);
    const sql = `
      WITH c AS (
        SELECT time_ms, agent, if_index, if_speed, in_octets, out_octets,
               in_ucast_pkts + in_multicast_pkts + in_broadcast_pkts AS in_pkts,
               out_ucast_pkts + out_multicast_pkts + out_broadcast_pkts AS out_pkts
        FROM read_json(${fileListSql(files)}, format = 'newline_delimited')
        WHERE ${where.join(' AND ')}
      ), d AS (
        SELECT time_ms, agent, if_index, if_speed,
               (time_ms - lag(time_ms) OVER w) / 1000.0 AS dt,
               in_octets - lag(in_octets) OVER w AS d_in, out_octets - lag(out_octets) OVER w AS d_out,
               in_pkts - lag(in_pkts) OVER w AS p_in, out_pkts - lag(out_pkts) OVER w AS p_out
        FROM c WINDOW w AS (PARTITION BY agent, if_index ORDER BY time_ms)
      )
      SELECT time_ms, agent, if_index, if_speed, d_in * 8 / dt AS in_bps, d_out * 8 / dt AS out_bps, p_in / dt AS in_pps, p_out / dt AS out_pps,
             CASE WHEN if_speed > 0 THEN greatest(d_in, d_out) * 8 / dt / if_speed END AS utilisation
      FROM d WHERE dt > 0 AND d_in >= 0 AND d_out >= 0 ORDER BY agent, if_index, time_ms`;
    const r = await engine.query(sql);
    const names = r.columns.map((c) => c.name);
    return r.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])) as unknown as UtilisationRow);
  }
}
