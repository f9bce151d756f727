// The shared front of the JSON flow-log formats (Google Cloud, Azure): lines or whole documents
// in, each JSON value out, arrays of entries unwrapped to a bounded depth. A format says only
// what one document holds.

import type { BatchSink } from '../source.js';
import { JsonInput, MAX_DOCUMENT } from './json-input.js';
import { LineSplitter } from './lines.js';
import type { CloudFormat, FlowLogParser, ParserOptions } from './parser.js';
import type { ParseProblems } from './problems.js';

export abstract class JsonDocumentParser implements FlowLogParser {
  abstract readonly format: CloudFormat;
  records = 0;
  private readonly splitter: LineSplitter;
  private readonly json: JsonInput;
  protected readonly problems: ParseProblems;

  constructor(
    protected readonly sink: BatchSink,
    opts: ParserOptions,
  ) {
    this.problems = opts.problems;
    this.json = new JsonInput((v, n) => this.value(v, n, ''), this.problems);
    this.splitter = new LineSplitter((b, s, e, n) => this.json.line(b, s, e, n), MAX_DOCUMENT, (n) => this.problems.add(n, 'line too long', `over ${MAX_DOCUMENT >> 20} MiB`));
  }

  get lines(): number {
    return this.splitter.lines;
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    this.json.end();
  }

  protected value(v: unknown, line: number, where: string): void {
    if (Array.isArray(v)) {
      // An array of entries (or of arrays of entries); deeper nesting is not a flow log.
      if (where.split('[').length > 3) return this.problems.add(line, 'bad record', 'arrays nested too deep', where);
      v.forEach((x, i) => this.value(x, line, `${where}[${i}]`));
      return;
    }
    this.document(v, line, where);
  }

  /** One JSON value that is not an array: an entry, or an envelope holding entries. */
  protected abstract document(v: unknown, line: number, where: string): void;
}
