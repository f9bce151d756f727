// The `intel:` configuration section: the threat lists to load, each from a file or a URL, in
// a named format, reloaded every `refresh_s` seconds.

import { z } from 'zod';
import { LIST_FORMAT_NAMES } from './formats.js';

export const intelListConfig = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'list names are 1-64 letters, digits, ".", "_" or "-"'),
    file: z.string().min(1).optional(),
    url: z.string().url().optional(),
    format: z.enum(['auto', ...LIST_FORMAT_NAMES]).default('auto'),
    /** Seconds between reloads; 0 loads once. Files are re-read only when they changed. */
    refresh_s: z.number().int().min(0).default(3600),
    /** ipsum: addresses on at least this many blocklists. */
    min_count: z.number().int().min(1).optional(),
    /** csv: the address column (header name or 0-based number). */
    column: z.union([z.string(), z.number().int().min(0)]).optional(),
    delimiter: z.string().length(1).optional(),
  })
  .strict()
  .refine((l) => (l.file === undefined) !== (l.url === undefined), { message: 'give exactly one of file or url' });

export const intelConfig = z
  .object({
    lists: z.array(intelListConfig).default([]),
    /** Seconds a URL may take to download. */
    timeout_s: z.number().positive().default(60),
  })
  .strict()
  .refine((c) => new Set(c.lists.map((l) => l.name)).size === c.lists.length, { message: 'list names must be unique' });

export type IntelListConfig = z.infer<typeof intelListConfig>;
export type IntelConfig = z.infer<typeof intelConfig>;
