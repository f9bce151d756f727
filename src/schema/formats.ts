// Text forms of flow records: JSON Lines and CSV, with the schema's field names, addresses
// as text and times as numbers. Both are derived from FIELDS, so a new field appears in them
// without an edit here.

import { FlowBatch } from './batch.js';
import { FIELDS, type FieldDef } from './fields.js';

export type RecordFormat = 'jsonl' | 'csv';

export const RECORD_FORMATS: readonly RecordFormat[] = ['jsonl', 'csv'];

/** Restrict output to some fields, in this order (default: every field). */
export type FieldSelection = readonly FieldDef[];

function jsonValue(v: string | number | null): string {
  if (v === null) return 'null';
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** One JSON object per line; the keys are built once, the values per row. */
export function batchToJsonl(batch: FlowBatch, fields: FieldSelection = FIELDS): string {
  const keys = fields.map((f, i) => (i === 0 ? '{' : ',') + JSON.stringify(f.name) + ':');
  let out = '';
  for (let r = 0; r < batch.length; r++) {
    let line = '';
    for (let k = 0; k < fields.length; k++) line += keys[k] + jsonValue(batch.value(fields[k], r));
    out += line + '}\n';
  }
  return out;
}

export function csvHeader(fields: FieldSelection = FIELDS): string {
  return fields.map((f) => f.name).join(',') + '\n';
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** CSV rows (RFC 4180 quoting) without the header. */
export function batchToCsv(batch: FlowBatch, fields: FieldSelection = FIELDS): string {
  let out = '';
  for (let r = 0; r < batch.length; r++) {
    let line = '';
    for (let k = 0; k < fields.length; k++) line += (k ? ',' : '') + csvCell(batch.value(fields[k], r));
    out += line + '\n';
  }
  return out;
}

/** Writes batches to a stream in one format, with the CSV header once. */
export class RecordWriter {
  private wroteHeader = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: RecordFormat,
    private readonly fields: FieldSelection = FIELDS,
  ) {}

  /** Resolves when the stream has taken the text (respects backpressure). */
  write(batch: FlowBatch): Promise<void> {
    let text = '';
    if (this.format === 'csv') {
      if (!this.wroteHeader) {
        text += csvHeader(this.fields);
        this.wroteHeader = true;
      }
      text += batchToCsv(batch, this.fields);
    } else {
      text = batchToJsonl(batch, this.fields);
    }
    if (text === '' || this.out.write(text)) return Promise.resolve();
    return new Promise((resolve) => this.out.once('drain', () => resolve()));
  }

  /** The CSV header alone, for an output with no rows. */
  finish(): void {
    if (this.format === 'csv' && !this.wroteHeader) {
      this.out.write(csvHeader(this.fields));
      this.wroteHeader = true;
    }
  }
}
