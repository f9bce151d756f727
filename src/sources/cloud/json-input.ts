// JSON inputs come two ways: one value per line (Cloud Logging exports, Event Hub captures,
// CloudWatch subscription records) or one pretty-printed document (Azure's PT1H.json blobs,
// `aws logs filter-log-events` output, a JSON array). The first non-blank line decides: if
// it is a whole value, every line is one; otherwise the input is collected and parsed once.

import { tokenText } from './bytes.js';
import type { ParseProblems } from './problems.js';

/** Receives each top-level value with the line it started on. */
export type JsonValueHandler = (value: unknown, line: number) => void;

/** V8 cannot hold a string much over 512 MiB; a larger document has to be split upstream. */
export const MAX_DOCUMENT = 500 * 1024 * 1024;

export class JsonInput {
  private mode: 'unknown' | 'lines' | 'document' = 'unknown';
  private parts: Buffer[] = [];
  private size = 0;
  private docLine = 0;
  private tooLarge = false;

  constructor(
    private readonly onValue: JsonValueHandler,
    private readonly problems: ParseProblems,
  ) {}

  /** True once the input has shown itself to be one multi-line document. */
  get inDocument(): boolean {
    return this.mode === 'document';
  }

  line(buf: Uint8Array, s: number, e: number, lineNo: number): void {
    if (this.mode === 'document') return this.collect(buf, s, e);
    let i = s;
    while (i < e && (buf[i] === 32 || buf[i] === 9)) i++;
    if (i === e) return;
    // Comment lines appear in hand-made samples and test fixtures.
    if (buf[i] === 35) return;
    const text = tokenText(buf, i, e);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (this.mode === 'unknown' && (buf[i] === 123 || buf[i] === 91)) {
        this.mode = 'document';
        this.docLine = lineNo;
        return this.collect(buf, s, e);
      }
      this.problems.add(lineNo, 'bad JSON', (err as Error).message);
      return;
    }
    this.mode = 'lines';
    this.onValue(value, lineNo);
  }

  private collect(buf: Uint8Array, s: number, e: number): void {
    if (this.tooLarge) return;
    this.size += e - s + 1;
    if (this.size > MAX_DOCUMENT) {
      this.tooLarge = true;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(buf.subarray(s, e)), NEWLINE);
  }

  end(): void {
    if (this.mode !== 'document') return;
    if (this.tooLarge) {
      this.problems.add(this.docLine, 'document too large', `a single JSON document over ${MAX_DOCUMENT >> 20} MiB cannot be read; split it or export one value per line`);
      return;
    }
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.problems.add(this.docLine, 'bad JSON', (err as Error).message);
      return;
    }
    this.onValue(value, this.docLine);
  }
}

const NEWLINE = Buffer.from('\n');

/** A property of an object-like value, or undefined. */
export function prop(v: unknown, key: string): unknown {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A string or number property as a string ('' when absent). */
export function text(v: unknown, key: string): string {
  const x = prop(v, key);
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '';
}
