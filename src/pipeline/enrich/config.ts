import { z } from 'zod';

export const enrichConfig = z
  .object({
    /** Country and AS number of every public address (about 200 MB of memory). */
    geo: z.boolean().default(true),
    /** City too (another 135 MB). */
    city: z.boolean().default(true),
  })
  .strict();

export type EnrichConfig = z.infer<typeof enrichConfig>;
