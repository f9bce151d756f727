// NATS JetStream: records as JSON lines, many per message (one acknowledged message per
// record manages only ~15k records/s; a message of a few thousand records is as cheap as one
// record). Each message carries `Nats-Msg-Id: <batch id>.<part>`: messages split the same
// way on every try, so JetStream's duplicate window drops a message published again after a
// lost acknowledgement or a restart.

import zlib from 'node:zlib';
import { z } from 'zod';
import type { FlowBatch } from '../../schema/batch.js';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination, DestinationContext } from '../destination.js';
import { PermanentError } from '../destination.js';
import { JSON_FORMATS } from '../formats/index.js';
import { JsonRecords } from '../json-records.js';
import type { SinkType } from '../registry-types.js';
import { NatsConnection } from '../../nats/connection.js';

const SUBJECT = /^[^\s*>]+$/;

export const natsSettings = z
  .object({
    type: z.literal('nats'),
    ...commonSettings,
    url: z.string().regex(/^(nats|tls):\/\/[^/]+$/, 'expected nats://host:port or tls://host:port').default('nats://127.0.0.1:4222'),
    subject: z.string().regex(SUBJECT, 'a subject without spaces or wildcards').default('flowlogs.flows'),
    stream: z.string().regex(/^[A-Za-z0-9_-]+$/).default('FLOWLOGS'),
    /** Create the stream (file storage, on `subject`) at start if it does not exist. */
    create_stream: z.boolean().default(true),
    /** JetStream's duplicate window for a stream we create; must outlast the longest outage. */
    duplicate_window_s: z.number().int().min(1).default(1200),
    user: z.string().optional(),
    password: z.string().optional(),
    token: z.string().optional(),
    tls: z
      .object({ enabled: z.boolean().default(false), ca_file: z.string().optional(), insecure: z.boolean().default(false) })
      .strict()
      .prefault({}),
    format: z.enum(JSON_FORMATS).default('json'),
    gzip: z.boolean().default(false),
    /** Upper bound on one message's payload (the server's max_payload applies too). */
    max_message_bytes: z.number().int().min(1024).default(1 << 20),
    timeout_ms: z.number().int().min(100).default(10_000),
  })
  .strict();
export type NatsSettings = z.infer<typeof natsSettings>;

interface PubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code: number; err_code?: number; description?: string };
}

/** Rows [from, to) cut into messages of at most `max` bytes of JSON lines. */
function splitMessages(b: FlowBatch, row: (r: number) => string, max: number): { text: string; rows: number }[] {
  const out: { text: string; rows: number }[] = [];
  let text = '';
  let bytes = 0;
  let rows = 0;
  for (let r = 0; r < b.length; r++) {
    const line = row(r) + '\n';
    const len = Buffer.byteLength(line);
    if (rows > 0 && bytes + len > max) {
      out.push({ text, rows });
      text = '';
      bytes = 0;
      rows = 0;
    }
    text += line;
    bytes += len;
    rows++;
  }
  if (rows) out.push({ text, rows });
  return out;
}

export class NatsDestination implements Destination {
  private conn: NatsConnection | undefined;
  private readonly json: JsonRecords;

  constructor(
    private readonly s: NatsSettings,
    private readonly ctx: DestinationContext,
  ) {
    this.json = new JsonRecords(s.format, s.format_options);
  }

  private async connection(): Promise<NatsConnection> {
    if (this.conn && !this.conn.isClosed) return this.conn;
    this.conn = await NatsConnection.connect({ url: this.s.url, user: this.s.user, password: this.s.password, token: this.s.token, tls: this.s.tls, timeoutMs: this.s.timeout_ms, name: `flowlogs sink ${this.ctx.name}` });
    if (!this.conn.info.jetstream) throw new Error(`NATS server ${this.s.url} has no JetStream (start it with -js)`);
    return this.conn;
  }

  async start(): Promise<void> {
    const c = await this.connection();
    if (!this.s.create_stream) return;
    const info = await c.request(`$JS.API.STREAM.INFO.${this.s.stream}`, '');
    const known = JSON.parse(info.data.toString() || '{}') as PubAck;
    if (!known.error) return;
    const cfg = { name: this.s.stream, subjects: [this.s.subject], storage: 'file', retention: 'limits', duplicate_window: this.s.duplicate_window_s * 1e9, discard: 'old' };
    const r = JSON.parse((await c.request(`$JS.API.STREAM.CREATE.${this.s.stream}`, JSON.stringify(cfg))).data.toString()) as PubAck;
    // 10058: created meanwhile by someone else.
    if (r.error && r.error.err_code !== 10058) throw new Error(`JetStream: creating stream ${this.s.stream}: ${r.error.description ?? r.error.code}`);
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    const c = await this.connection();
    const max = Math.min(this.s.max_message_bytes, c.info.max_payload || Infinity) - 512;
    const msgs = splitMessages(batch.records, this.json.forBatch(batch.records, batch.id), max);
    const acks = msgs.map((m, i) => {
      let data = Buffer.from(m.text);
      const headers: Record<string, string> = { 'Nats-Msg-Id': `${batch.id}.${i}`, 'Flowlogs-Batch': batch.id, 'Flowlogs-Records': String(m.rows), 'Content-Type': 'application/x-ndjson' };
      if (this.s.gzip) {
        data = zlib.gzipSync(data, { level: 1 });
        headers['Content-Encoding'] = 'gzip';
      }
      if (data.length > (c.info.max_payload || Infinity)) throw new PermanentError(`NATS: one record is larger than the server's max_payload (${c.info.max_payload})`);
      return c.request(this.s.subject, data, { headers });
    });
    const replies = await Promise.all(acks);
    for (const r of replies) {
      if (r.status === 503) throw new Error(`NATS: no stream listens on ${this.s.subject}`);
      const ack = JSON.parse(r.data.toString() || '{}') as PubAck;
      if (ack.error) throw new Error(`JetStream: ${ack.error.description ?? ack.error.code}`);
    }
  }

  async stop(): Promise<void> {
    this.conn?.close();
  }
}

export const natsSink: SinkType<NatsSettings> = {
  type: 'nats',
  schema: natsSettings,
  batchDefaults: () => ({ max_records: 20_000, max_wait_ms: 500 }),
  create: (s, ctx) => new NatsDestination(s, ctx),
};
