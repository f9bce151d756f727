// Elasticsearch / OpenSearch through the bulk API: ECS documents (or OCSF, or our own JSON)
// into daily indices `<index>-YYYY.MM.DD` (by the window end, UTC) that an index template
// maps. Every document's _id is its batch id and row, and documents are `create`d, so a
// batch sent again after a timeout is recognised (409) instead of indexed twice.

import { z } from 'zod';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination, DestinationContext } from '../destination.js';
import { PermanentError } from '../destination.js';
import { ecsIndexTemplate } from '../formats/ecs.js';
import { JSON_FORMATS, recordId } from '../formats/index.js';
import { HttpClient, HttpStatusError, httpSettings, retryableStatus } from '../http.js';
import { JsonRecords } from '../json-records.js';
import type { SinkType } from '../registry-types.js';

export const elasticsearchSettings = z
  .object({
    type: z.literal('elasticsearch'),
    ...commonSettings,
    ...httpSettings,
    /** Index name prefix; documents go to `<index>-YYYY.MM.DD`. */
    index: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'index names are lower-case').default('flowlogs'),
    format: z.enum(JSON_FORMATS).default('ecs'),
    /** Install (overwrite) the index template `<index>` for `<index>-*` at start. */
    template: z.boolean().default(true),
    /** Sends `Authorization: ApiKey <api_key>` (instead of username/password). */
    api_key: z.string().optional(),
  })
  .strict();
export type ElasticsearchSettings = z.infer<typeof elasticsearchSettings>;

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}

function day(endSeconds: number): string {
  return new Date(endSeconds * 1000).toISOString().slice(0, 10).replace(/-/g, '.');
}

export class ElasticsearchDestination implements Destination {
  private readonly http: HttpClient;
  private readonly json: JsonRecords;

  constructor(
    private readonly s: ElasticsearchSettings,
    private readonly ctx: DestinationContext,
  ) {
    const headers = { ...s.headers };
    if (s.api_key) headers.authorization = `ApiKey ${s.api_key}`;
    this.http = new HttpClient({ ...s, headers });
    this.json = new JsonRecords(s.format, s.format_options);
  }

  async start(): Promise<void> {
    if (!this.s.template || this.s.format !== 'ecs') return;
    await this.http.send('PUT', `/_index_template/${this.s.index}`, JSON.stringify(ecsIndexTemplate(`${this.s.index}-*`)), { 'content-type': 'application/json' });
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const b = batch.records;
    const row = this.json.forBatch(b, batch.id);
    let body = '';
    let lastDay = -1;
    let action = '';
    for (let r = 0; r < b.length; r++) {
      const end = b.cols.end[r];
      const d = Math.floor(end / 86400);
      if (d !== lastDay) {
        lastDay = d;
        action = `{"create":{"_index":"${this.s.index}-${day(end)}","_id":"`;
      }
      body += action + recordId(batch.id, r) + '"}}\n' + row(r) + '\n';
    }
    const res = await this.http.send('POST', '/_bulk', body, { 'content-type': 'application/x-ndjson' });
    const reply = JSON.parse(res.body.toString()) as { errors?: boolean; items?: Record<string, BulkItem>[] };
    if (!reply.errors) return;
    let retry = 0;
    let refused = 0;
    let sample = '';
    for (const it of reply.items ?? []) {
      const item = Object.values(it)[0];
      // 409: the document exists, written by an earlier try of this batch.
      if (!item || item.status < 300 || item.status === 409) continue;
      if (retryableStatus(item.status)) retry++;
      else refused++;
      sample ||= `${item.status} ${item.error?.type ?? ''}: ${item.error?.reason ?? ''}`;
    }
    if (retry) throw new HttpStatusError(429, `bulk: ${retry} documents not indexed yet (${sample})`);
    if (refused) {
      this.ctx.log.error({ refused, sample }, 'Elasticsearch refused documents');
      throw new PermanentError(`bulk: ${refused} documents refused (${sample})`);
    }
  }

  async stop(): Promise<void> {
    this.http.close();
  }
}

export const elasticsearchSink: SinkType<ElasticsearchSettings> = {
  type: 'elasticsearch',
  schema: elasticsearchSettings,
  batchDefaults: () => ({ max_records: 5000, max_wait_ms: 1000 }),
  create: (s, ctx) => new ElasticsearchDestination(s, ctx),
};
