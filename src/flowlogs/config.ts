// Config section `flowlogs`: how the flow-log stage treats records and how long it waits.

import { z } from 'zod';

export const flowlogsConfig = z.strictObject({
  /** Keep records of interfaces no flow log covers (flow_log_id ''); false drops them, as the clouds do. */
  keep_uncovered: z.boolean().default(true),
  /** Aggregated rows held in open windows (about 210 bytes each) before the oldest windows are emitted early. */
  max_rows: z.number().int().min(1000).default(500_000),
  /** Seconds after a window's end that late records are still summed into it. */
  lateness_seconds: z.number().min(0).max(600).default(2),
  /** How often closed windows are looked for. */
  flush_interval_ms: z.number().int().min(50).max(10_000).default(250),
});

export type FlowLogsConfig = z.infer<typeof flowlogsConfig>;
