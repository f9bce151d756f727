// The shape of a sink module: its settings schema (which extends the common settings), its
// batching defaults, and a constructor for its Destination.

import type { z } from 'zod';
import type { BatchDefaults } from './sink.js';
import type { CommonSettings } from './config.js';
import type { Destination, DestinationContext } from './destination.js';

export interface SinkType<S extends CommonSettings & { type: string } = CommonSettings & { type: string }> {
  readonly type: string;
  readonly schema: z.ZodType<S>;
  batchDefaults(settings: S): BatchDefaults;
  create(settings: S, ctx: DestinationContext): Destination;
}
