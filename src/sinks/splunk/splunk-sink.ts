// Splunk HTTP Event Collector: one HEC event per record (JSON, ECS or OCSF as the event
// body), many events per request, `time` = window end. HEC has no deduplication of its
// own: every event carries indexed fields `flowlogs_batch` and `flowlogs_row`, so a search
// can drop the rare duplicate left by a retried request (`| dedup flowlogs_batch flowlogs_row`).

import os from 'node:os';
import { z } from 'zod';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination } from '../destination.js';
import { PermanentError } from '../destination.js';
import { JSON_FORMATS } from '../formats/index.js';
import { HttpClient, HttpStatusError, httpSettings } from '../http.js';
import { JsonRecords } from '../json-records.js';
import type { SinkType } from '../registry-types.js';

export const splunkSettings = z
  .object({
    type: z.literal('splunk'),
    ...commonSettings,
    ...httpSettings,
    /** The HEC token (sent as `Authorization: Splunk <token>`). */
    token: z.string().min(1),
    index: z.string().optional(),
    sourcetype: z.string().default('flowlogs:flow'),
    source: z.string().default('flowlogs'),
    host: z.string().default(os.hostname()),
    format: z.enum(JSON_FORMATS).default('json'),
  })
  .strict();
export type SplunkSettings = z.infer<typeof splunkSettings>;

export class SplunkDestination implements Destination {
  private readonly http: HttpClient;
  private readonly json: JsonRecords;
  private readonly meta: string;

  constructor(private readonly s: SplunkSettings) {
    this.http = new HttpClient({ ...s, headers: { ...s.headers, authorization: `Splunk ${s.token}` } });
    this.json = new JsonRecords(s.format, s.format_options);
    this.meta = `"host":${JSON.stringify(s.host)},"source":${JSON.stringify(s.source)},"sourcetype":${JSON.stringify(s.sourcetype)}` + (s.index ? `,"index":${JSON.stringify(s.index)}` : '');
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const b = batch.records;
    const row = this.json.forBatch(b, batch.id);
    const tag = JSON.stringify(batch.id);
    let body = '';
    for (let r = 0; r < b.length; r++) body += `{"time":${b.cols.end[r]},${this.meta},"fields":{"flowlogs_batch":${tag},"flowlogs_row":"${r}"},"event":${row(r)}}\n`;
    const res = await this.http.request('POST', '/services/collector/event', body, { 'content-type': 'application/json' });
    if (res.status === 200) return;
    const text = res.body.toString('utf8', 0, 300);
    let code = -1;
    try {
      code = (JSON.parse(text) as { code: number }).code;
    } catch {
      /* not a HEC answer (a proxy's error page): judge by status */
    }
    const msg = `HEC: HTTP ${res.status} ${text.trim()}`;
    // HEC codes 5, 6, 12, 13, 15: the events themselves are malformed. Anything else (bad or
    // disabled token, unknown index, server busy) is fixed on the Splunk side: keep retrying.
    if (res.status === 400 && [5, 6, 12, 13, 15].includes(code)) throw new PermanentError(msg);
    throw new HttpStatusError(res.status, msg);
  }

  async stop(): Promise<void> {
    this.http.close();
  }
}

export const splunkSink: SinkType<SplunkSettings> = {
  type: 'splunk',
  schema: splunkSettings,
  batchDefaults: () => ({ max_records: 5000, max_wait_ms: 1000 }),
  create: (s) => new SplunkDestination(s),
};
