// The settings every sink has, whatever its target: which records it takes (flow logs that
// list it, more by configuration, an optional filter), how records are batched, the disk
// queue's cap and full policy, and retry backoff. Each sink module extends this with its own
// settings (`sinkSchema`).

import { z } from 'zod';
import { formatOptionsSchema } from './formats/index.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A byte count: a number, or text such as `512MiB`, `2GB`. */
export const byteSize = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*([kmgt]i?b?|b)?\s*$/i, 'expected a size such as 512MiB or 2GB')
    .transform((s) => {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s)!;
      return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()]);
    }),
]);

export const queueSettings = z
  .object({
    max_bytes: byteSize.default(1 << 30),
    /** The alarm (metric + log) goes on at this fraction of max_bytes. */
    alarm_at: z.number().min(0.05).max(1).default(0.8),
    when_full: z.enum(['drop-oldest', 'refuse-newest']).default('drop-oldest'),
    segment_bytes: byteSize.default(64 << 20),
  })
  .strict()
  .prefault({});

export const retrySettings = z
  .object({
    initial_ms: z.number().int().min(1).default(500),
    max_ms: z.number().int().min(1).default(30_000),
  })
  .strict()
  .prefault({});

export const batchSettings = z
  .object({
    /** Records per delivery (one queue entry, one request or file write). */
    max_records: z.number().int().min(1).max(1 << 20).optional(),
    /** A batch is closed this long after its first record at the latest. */
    max_wait_ms: z.number().int().min(1).max(3_600_000).optional(),
  })
  .strict()
  .prefault({});

/** Fields shared by every sink type; spread into each module's z.object. */
export const commonSettings = {
  enabled: z.boolean().default(true),
  /**
   * Records of which flow logs this sink takes besides those whose flow log lists it:
   * 'all' (every record, including collector traffic outside flow logs), a list of flow-log
   * ids, or 'none' (only flow logs that list it).
   */
  flow_logs: z.union([z.enum(['all', 'none']), z.array(z.string().min(1))]).default('none'),
  /** Also take records outside any flow log (flow_log_id ''). */
  outside_flow_logs: z.boolean().default(false),
  /** Query-language filter part; only matching records are sent. */
  filter: z.string().default(''),
  batch: batchSettings,
  queue: queueSettings,
  retry: retrySettings,
  format_options: formatOptionsSchema,
};

const common = z.object({ type: z.string(), ...commonSettings });
export type CommonSettings = z.infer<typeof common>;

export const SINK_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
