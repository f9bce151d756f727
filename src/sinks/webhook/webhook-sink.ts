// Webhooks: batches of records POSTed as one JSON document, signed with HMAC-SHA256 so the
// receiver can check they come from us and are fresh. The batch id travels in a header (and
// the body) so a receiver deduplicates retries by it.
//
//   POST <url>
//   Content-Type: application/json
//   X-Flowlogs-Batch: <batch id>
//   X-Flowlogs-Timestamp: <unix seconds>
//   X-Flowlogs-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//   {"batch":"<batch id>","count":N,"records":[…]}

import { createHmac } from 'node:crypto';
import zlib from 'node:zlib';
import { z } from 'zod';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination } from '../destination.js';
import { JSON_FORMATS } from '../formats/index.js';
import { HttpClient, httpSettings } from '../http.js';
import { JsonRecords } from '../json-records.js';
import type { SinkType } from '../registry-types.js';

export const webhookSettings = z
  .object({
    type: z.literal('webhook'),
    ...commonSettings,
    ...httpSettings,
    format: z.enum(JSON_FORMATS).default('json'),
    /** Shared secret for the signature; without it requests are not signed. */
    secret: z.string().min(16, 'use a secret of at least 16 characters').optional(),
    gzip: z.boolean().default(false),
  })
  .strict();
export type WebhookSettings = z.infer<typeof webhookSettings>;

/** The signature header value for a body sent at `timestamp` (receivers compute the same). */
export function webhookSignature(secret: string, timestamp: string, body: Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(timestamp).update('.').update(body).digest('hex');
}

export class WebhookDestination implements Destination {
  private readonly http: HttpClient;
  private readonly json: JsonRecords;

  constructor(private readonly s: WebhookSettings) {
    this.http = new HttpClient(s);
    this.json = new JsonRecords(s.format, s.format_options);
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const row = this.json.forBatch(batch.records, batch.id);
    const n = batch.records.length;
    let text = `{"batch":${JSON.stringify(batch.id)},"count":${n},"records":[`;
    for (let r = 0; r < n; r++) text += (r ? ',' : '') + row(r);
    text += ']}';
    const body = Buffer.from(text);
    const ts = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-flowlogs-batch': batch.id, 'x-flowlogs-timestamp': ts };
    if (this.s.secret) headers['x-flowlogs-signature'] = webhookSignature(this.s.secret, ts, body);
    let payload = body;
    if (this.s.gzip) {
      payload = zlib.gzipSync(body, { level: 1 });
      headers['content-encoding'] = 'gzip';
    }
    await this.http.send('POST', '', payload, headers);
  }

  async stop(): Promise<void> {
    this.http.close();
  }
}

export const webhookSink: SinkType<WebhookSettings> = {
  type: 'webhook',
  schema: webhookSettings,
  batchDefaults: () => ({ max_records: 1000, max_wait_ms: 1000 }),
  create: (s) => new WebhookDestination(s),
};
