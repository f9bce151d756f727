// ClickHouse over its HTTP interface: each batch is one `INSERT … FORMAT Native` block
// (atomic in a MergeTree table), tagged with its batch id in a `flowlogs_batch` column.
// Before writing a batch that may already be there (a retry, or the first batches after a
// restart) the sink asks ClickHouse whether rows with that batch id exist, and skips the
// insert if they do: this works on every version, including Debian's 18.16, which has
// neither insert deduplication tokens nor non-replicated deduplication windows.

import { z } from 'zod';
import { FIELDS } from '../../schema/fields.js';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination, DestinationContext } from '../destination.js';
import { HttpClient, httpSettings } from '../http.js';
import type { SinkType } from '../registry-types.js';
import { clickhouseType, nativeBlock } from './native-block.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const clickhouseSettings = z
  .object({
    type: z.literal('clickhouse'),
    ...commonSettings,
    ...httpSettings,
    url: z.string().url().default('http://127.0.0.1:8123'),
    database: z.string().regex(IDENT).default('flowlogs'),
    table: z.string().regex(IDENT).default('flow_records'),
    /** Create the database and table at start if they do not exist. */
    create_table: z.boolean().default(true),
  })
  .strict();
export type ClickhouseSettings = z.infer<typeof clickhouseSettings>;

export const BATCH_COLUMN = 'flowlogs_batch';

/** The table the sink writes to, for ClickHouse 18.16 and later. */
export function createTableSql(db: string, table: string): string {
  const cols = FIELDS.map((f) => `  \`${f.name}\` ${clickhouseType(f)}`);
  cols.push(`  \`${BATCH_COLUMN}\` String`);
  return `CREATE TABLE IF NOT EXISTS \`${db}\`.\`${table}\` (\n${cols.join(',\n')}\n) ENGINE = MergeTree() PARTITION BY toYYYYMMDD(\`start\`) ORDER BY (\`start\`, \`${BATCH_COLUMN}\`)`;
}

export class ClickhouseDestination implements Destination {
  private readonly http: HttpClient;
  private readonly target: string;

  constructor(
    private readonly s: ClickhouseSettings,
    private readonly ctx: DestinationContext,
  ) {
    this.http = new HttpClient(s);
    this.target = `\`${s.database}\`.\`${s.table}\``;
  }

  private query(sql: string, body?: Buffer | Uint8Array): Promise<string> {
    const path = `/?query=${encodeURIComponent(sql)}`;
    return this.http.send('POST', path, body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : '').then((r) => r.body.toString());
  }

  async start(): Promise<void> {
    if (!this.s.create_table) return;
    await this.query(`CREATE DATABASE IF NOT EXISTS \`${this.s.database}\``);
    await this.query(createTableSql(this.s.database, this.s.table));
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const b = batch.records;
    if (batch.maybeDelivered) {
      let lo = Infinity;
      let hi = 0;
      for (let i = 0; i < b.length; i++) {
        const v = b.cols.start[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const id = batch.id.replace(/[^A-Za-z0-9_-]/g, '');
      const have = Number((await this.query(`SELECT count() FROM ${this.target} WHERE \`start\` BETWEEN toDateTime(${lo}) AND toDateTime(${hi}) AND \`${BATCH_COLUMN}\` = '${id}' FORMAT TabSeparated`)).trim());
      if (have > 0) {
        if (have !== b.length) this.ctx.log.warn({ batch: batch.id, have, rows: b.length }, 'ClickHouse holds part of a batch; not inserting it again');
        return;
      }
    }
    await this.query(`INSERT INTO ${this.target} FORMAT Native`, nativeBlock(b, [{ name: BATCH_COLUMN, value: batch.id }]));
  }

  async stop(): Promise<void> {
    this.http.close();
  }
}

export const clickhouseSink: SinkType<ClickhouseSettings> = {
  type: 'clickhouse',
  schema: clickhouseSettings,
  batchDefaults: () => ({ max_records: 131_072, max_wait_ms: 1000 }),
  create: (s, ctx) => new ClickhouseDestination(s, ctx),
};
