import { z } from 'zod';

export const storeConfig = z
  .object({
    /** Data directory of the embedded store (flows, flow logs, queues). */
    data: z.string().min(1).default('./data'),
    /** Remote store URL (clickhouse://host:8123/db); the embedded DuckDB store when absent. */
    url: z.string().optional(),
    /** Days of flow records to keep; 0 keeps everything. */
    retention_days: z.number().min(0).default(30),
    /** Seconds between looks for compaction work. */
    compact_every_s: z.number().min(1).default(30),
    /** Milliseconds a record may wait in memory before it is written (the store's latency). */
    flush_ms: z.number().int().min(10).max(60_000).default(1000),
    /** Threads for Parquet encoding. */
    encoders: z.number().int().min(0).max(16).default(2),
    /** DuckDB query threads (default: all cores) and memory cap (default "1GB"; beyond it, spills to DATA/tmp). */
    threads: z.number().int().min(1).optional(),
    memory_limit: z.string().optional(),
  })
  .strict();

export type StoreConfig = z.infer<typeof storeConfig>;
