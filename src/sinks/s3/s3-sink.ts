// S3-compatible object storage: one object per delivered batch and time partition, named
// after the batch, so a batch sent again (after a timeout, or a restart) overwrites the same
// object instead of adding a copy. Same formats and Hive-style partitions as the files sink.

import zlib from 'node:zlib';
import { z } from 'zod';
import { commonSettings } from '../config.js';
import type { DeliveryBatch, Destination } from '../destination.js';
import { groupByPartition } from '../files/partitions.js';
import { encodeLines, encodeParquetFile, FILE_FORMATS, textFormat, type TextFormat } from '../formats/index.js';
import { tlsSettings } from '../http.js';
import type { SinkType } from '../registry-types.js';
import { S3Client } from './s3-client.js';

export const s3Settings = z
  .object({
    type: z.literal('s3'),
    ...commonSettings,
    bucket: z.string().min(1),
    region: z.string().default('us-east-1'),
    /** Service endpoint (default: AWS S3 in `region`), e.g. https://cos.ap-guangzhou.myqcloud.com or http://127.0.0.1:9000. */
    endpoint: z.string().url().optional(),
    /** Address the bucket in the path (`<endpoint>/<bucket>/…`), as MinIO and most self-hosted services want. */
    path_style: z.boolean().default(false),
    access_key_id: z.string().min(1),
    secret_access_key: z.string().min(1),
    session_token: z.string().optional(),
    /** Key prefix (a folder) for every object. */
    prefix: z.string().default('flowlogs'),
    format: z.enum(FILE_FORMATS).default('json'),
    gzip: z.boolean().default(true),
    partition: z.enum(['hour', 'day', 'none']).default('hour'),
    file_prefix: z.string().regex(/^[A-Za-z0-9._-]+$/).default('flows'),
    timeout_ms: z.number().int().min(100).default(60_000),
    tls: tlsSettings,
  })
  .strict();
export type S3Settings = z.infer<typeof s3Settings>;

export function s3ClientFor(s: Pick<S3Settings, 'bucket' | 'region' | 'endpoint' | 'path_style' | 'access_key_id' | 'secret_access_key' | 'session_token' | 'timeout_ms' | 'tls'>): S3Client {
  return new S3Client(
    { endpoint: s.endpoint ?? `https://s3.${s.region}.amazonaws.com`, bucket: s.bucket, region: s.region, pathStyle: s.path_style, timeoutMs: s.timeout_ms, tls: s.tls },
    { accessKeyId: s.access_key_id, secretAccessKey: s.secret_access_key, sessionToken: s.session_token },
  );
}

export class S3Destination implements Destination {
  private readonly client: S3Client;
  private readonly fmt: TextFormat | undefined;

  constructor(private readonly s: S3Settings) {
    this.client = s3ClientFor(s);
    this.fmt = s.format === 'parquet' ? undefined : textFormat(s.format, s.format_options);
  }

  /** The object key of one batch's records in one partition. */
  key(partition: string, batchId: string): string {
    const ext = this.fmt ? this.fmt.extension + (this.s.gzip ? '.gz' : '') : 'parquet';
    const parts = [this.s.prefix.replace(/^\/+|\/+$/g, ''), partition, `${this.s.file_prefix}-${batchId}.${ext}`].filter(Boolean);
    return parts.join('/');
  }

  async deliver(batch: DeliveryBatch): Promise<void> {
    for (const [part, rows] of groupByPartition(batch.records, this.s.partition)) {
      const key = this.key(part, batch.id);
      if (!this.fmt) {
        await this.client.put(key, encodeParquetFile(batch.records, rows, { flowlogs_batch: batch.id }), 'application/vnd.apache.parquet');
        continue;
      }
      let body = Buffer.concat(encodeLines(this.fmt, batch.records, batch.id, rows, true));
      if (this.s.gzip) body = zlib.gzipSync(body, { level: 1 });
      // A .gz object stays gzip'd on download (no Content-Encoding), as AWS delivers flow logs.
      await this.client.put(key, body, this.s.gzip ? 'application/gzip' : this.fmt.contentType);
    }
  }

  async stop(): Promise<void> {
    this.client.close();
  }
}

export const s3Sink: SinkType<S3Settings> = {
  type: 's3',
  schema: s3Settings,
  batchDefaults: () => ({ max_records: 200_000, max_wait_ms: 60_000 }),
  create: (s) => new S3Destination(s),
};
