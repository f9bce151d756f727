// The record formats a sink can write, by name. Text formats encode one record per line;
// Parquet (files and object storage only) encodes whole batches column by column.

import { z } from 'zod';
import type { FlowBatch } from '../../schema/batch.js';
import { FIELDS } from '../../schema/fields.js';
import { encodeParquet } from '../../schema/parquet/writer.js';
import { ByteSink } from '../../schema/parquet/thrift.js';
import { ByteBuffer, decodeChunks, encodeChunk } from '../queue/batch-codec.js';
import { AWS_DEFAULT_FIELDS, AwsTextRows } from './aws-text.js';
import { TextChunks } from './cells.js';
import { EcsDocs } from './ecs.js';
import { RowTextBuilder } from './flat-rows.js';
import { OcsfEvents } from './ocsf.js';

export const TEXT_FORMATS = ['json', 'csv', 'aws', 'ecs', 'ocsf'] as const;
export type TextFormatName = (typeof TEXT_FORMATS)[number];
export const FILE_FORMATS = [...TEXT_FORMATS, 'parquet'] as const;
export type FileFormatName = (typeof FILE_FORMATS)[number];
/** Formats whose records are JSON objects (for JSON-speaking targets). */
export const JSON_FORMATS = ['json', 'ecs', 'ocsf'] as const;
export type JsonFormatName = (typeof JSON_FORMATS)[number];

/** Options some formats take; part of every sink's settings. */
export const formatOptionsSchema = z
  .object({
    /** AWS text: the fields to write, in order (default: the version 2 default format). */
    aws_fields: z.array(z.string()).min(1).default([...AWS_DEFAULT_FIELDS]),
    /** OCSF: cloud.provider. */
    ocsf_cloud_provider: z.string().default('flowlogs'),
    /** OCSF: the product version in metadata. */
    product_version: z.string().default('0'),
  })
  .default({ aws_fields: [...AWS_DEFAULT_FIELDS], ocsf_cloud_provider: 'flowlogs', product_version: '0' });
export type FormatOptions = z.infer<typeof formatOptionsSchema>;

/** The id of one record: its delivery batch's id and its row in it (stable across retries). */
export function recordId(batchId: string, row: number): string {
  return `${batchId}-${row}`;
}

export interface TextFormat {
  readonly name: TextFormatName;
  readonly extension: string;
  readonly contentType: string;
  /** First line of every file ('' for none). */
  readonly header: string;
  /** The line (without newline) of each row of one batch. */
  forBatch(b: FlowBatch, batchId: string): (r: number) => string;
}

export function textFormat(name: TextFormatName, opts: FormatOptions): TextFormat {
  switch (name) {
    case 'json': {
      const rows = new RowTextBuilder(FIELDS, 'json');
      return { name, extension: 'jsonl', contentType: 'application/x-ndjson', header: '', forBatch: (b) => rows.forBatch(b) };
    }
    case 'csv': {
      const rows = new RowTextBuilder(FIELDS, 'csv');
      return { name, extension: 'csv', contentType: 'text/csv', header: rows.header(), forBatch: (b) => rows.forBatch(b) };
    }
    case 'aws': {
      const rows = new AwsTextRows(opts.aws_fields);
      return { name, extension: 'log', contentType: 'text/plain', header: rows.header(), forBatch: (b) => rows.forBatch(b) };
    }
    case 'ecs': {
      const docs = new EcsDocs();
      return {
        name,
        extension: 'ecs.jsonl',
        contentType: 'application/x-ndjson',
        header: '',
        forBatch: (b, id) => {
          const doc = docs.forBatch(b);
          return (r) => JSON.stringify(doc(r, recordId(id, r)));
        },
      };
    }
    case 'ocsf': {
      const events = new OcsfEvents({ cloudProvider: opts.ocsf_cloud_provider, productVersion: opts.product_version });
      return {
        name,
        extension: 'ocsf.jsonl',
        contentType: 'application/x-ndjson',
        header: '',
        forBatch: (b, id) => {
          const ev = events.forBatch(b);
          return (r) => JSON.stringify(ev(r, recordId(id, r)));
        },
      };
    }
  }
}

/** Rows [from, to) (or those listed) as newline-terminated lines, in ~1 MB buffers. */
export function encodeLines(fmt: TextFormat, b: FlowBatch, batchId: string, rows?: ArrayLike<number>, withHeader = false): Buffer[] {
  const out = new TextChunks();
  if (withHeader && fmt.header) out.add(fmt.header + '\n');
  const line = fmt.forBatch(b, batchId);
  // A few dozen lines per write: fewer calls, and each piece is still encoded while young.
  let acc = '';
  const n = rows ? rows.length : b.length;
  for (let i = 0; i < n; i++) {
    acc += line(rows ? rows[i] : i) + '\n';
    if (acc.length > 16_384) {
      out.add(acc);
      acc = '';
    }
  }
  if (acc) out.add(acc);
  return out.finish();
}

const parquetSink = new ByteSink(1 << 22);

/** A compact batch of the chosen rows, gathered column by column. */
export function pickRows(b: FlowBatch, rows: ArrayLike<number>): FlowBatch {
  const list = rows instanceof Int32Array ? rows : Int32Array.from(rows);
  const out = new ByteBuffer(1 << 16);
  encodeChunk(out, b, list, list.length);
  return decodeChunks(out.take(), 1, list.length);
}

/** A whole Parquet file of the given rows (a copy: safe to keep). */
export function encodeParquetFile(b: FlowBatch, rows?: ArrayLike<number>, meta: Record<string, string> = {}): Buffer {
  let src = b;
  if (rows && rows.length !== b.length) src = pickRows(b, rows);
  const groups = [];
  const step = 1 << 17;
  for (let from = 0; from < src.length; from += step) groups.push({ batch: src, from, to: Math.min(src.length, from + step) });
  return Buffer.from(encodeParquet(groups, FIELDS, meta, parquetSink, 'small'));
}
