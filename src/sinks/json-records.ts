// Records as JSON text for JSON-speaking targets (webhooks, Elasticsearch, Splunk, NATS,
// syslog): our own field names, ECS or OCSF, one JSON object per record.

import type { FlowBatch } from '../schema/batch.js';
import { textFormat, type FormatOptions, type JsonFormatName } from './formats/index.js';

export type RowJson = (r: number) => string;

export class JsonRecords {
  private readonly fmt;

  constructor(
    readonly format: JsonFormatName,
    opts: FormatOptions,
  ) {
    this.fmt = textFormat(format, opts);
  }

  forBatch(b: FlowBatch, batchId: string): RowJson {
    return this.fmt.forBatch(b, batchId);
  }
}
