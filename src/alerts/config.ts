// The `alerts:` configuration section: whether detection runs, the default window, user rules
// (new ones, or changes to built-in ones by id), how findings fold into alerts, and where
// notifications go.

import { z } from 'zod';
import { NOTIFIER_CONFIG } from './notify/registry.js';

const severity = z.enum(['low', 'medium', 'high', 'critical']);

export const ruleConfig = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'rule ids are 1-64 letters, digits, ".", "_" or "-"'),
    /** Detector to run; for a built-in rule's id it may be left out. */
    detector: z.string().optional(),
    enabled: z.boolean().optional(),
    severity: severity.optional(),
    window_s: z.number().int().min(1).max(3600).optional(),
    /** Only flows matching this filter (query language). */
    scope: z.string().optional(),
    /** Detector parameters (thresholds); see `flowlogs alerts rules`. */
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type RuleConfig = z.infer<typeof ruleConfig>;

export const alertsConfig = z
  .object({
    /** Run the detectors at all. */
    enabled: z.boolean().default(true),
    /** Window of the built-in rules, seconds. */
    window_s: z.number().int().min(1).max(3600).default(60),
    rules: z.array(ruleConfig).default([]),
    /** A finding this long (record time) after an alert's last window starts a new alert. */
    merge_gap_s: z.number().int().min(0).default(3600),
    /** Resolve alerts quiet for this long (record time); 0: only by hand. */
    auto_resolve_s: z.number().int().min(0).default(0),
    /**
     * Open alerts one rule may hold; findings about new keys beyond it are counted, not kept
     * (a scan from a million sources must not become a million alerts in memory).
     */
    max_open_per_rule: z.number().int().min(1).default(10_000),
    /** Resolved alerts are kept this many days. */
    keep_resolved_days: z.number().int().min(1).default(90),
    /** Days of stored flows to learn baselines from when none were saved. */
    learn_days: z.number().int().min(0).default(7),
    /** Close the open windows after this many seconds without flows (live sources). */
    idle_close_s: z.number().int().min(1).default(120),
    notify: z.array(NOTIFIER_CONFIG).default([]),
  })
  .strict();

export type AlertsConfig = z.infer<typeof alertsConfig>;
