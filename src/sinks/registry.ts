// Every sink type, by its `type:` name. Adding a destination is adding a module and a line
// here; the `sinks:` config section is validated against the union of their schemas.

import { z } from 'zod';
import { SINK_NAME } from './config.js';
import type { SinkType } from './registry-types.js';
import { clickhouseSink } from './clickhouse/clickhouse-sink.js';
import { elasticsearchSink } from './elasticsearch/elasticsearch-sink.js';
import { filesSink } from './files/files-sink.js';
import { natsSink } from './nats/nats-sink.js';
import { s3Sink } from './s3/s3-sink.js';
import { splunkSink } from './splunk/splunk-sink.js';
import { syslogSink } from './syslog/syslog-sink.js';
import { webhookSink } from './webhook/webhook-sink.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SINK_TYPES: readonly SinkType<any>[] = [filesSink, s3Sink, clickhouseSink, elasticsearchSink, splunkSink, natsSink, syslogSink, webhookSink];

export function sinkType(type: string): SinkType | undefined {
  return SINK_TYPES.find((t) => t.type === type);
}

const union = z.discriminatedUnion(
  'type',
  SINK_TYPES.map((t) => t.schema) as unknown as [z.ZodObject<{ type: z.ZodLiteral<string> }>, ...z.ZodObject<{ type: z.ZodLiteral<string> }>[]],
);

/** The `sinks:` section: sink name → settings (with a `type`). */
export const sinksConfig = z.record(z.string().regex(SINK_NAME, 'sink names are lower-case letters, digits, - and _'), union).default({});
export type SinksConfig = Record<string, { type: string } & Record<string, unknown>>;
