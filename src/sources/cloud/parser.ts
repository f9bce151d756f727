// What every cloud flow-log parser looks like from outside: bytes in (already decompressed),
// rows out through a BatchSink, bad lines counted in a ParseProblems.

import type { ParseProblems } from './problems.js';

export const CLOUD_FORMATS = ['aws', 'tencent', 'gcp', 'azure'] as const;
export type CloudFormat = (typeof CLOUD_FORMATS)[number];

export interface FlowLogParser {
  readonly format: CloudFormat;
  /** The next bytes of the input, in order. */
  push(chunk: Buffer): void;
  /** End of input: a last line without a newline, or a collected JSON document, is parsed now. */
  end(): void;
  /** Records written so far. */
  readonly records: number;
  /** Input lines seen so far. */
  readonly lines: number;
}

export interface ParserOptions {
  problems: ParseProblems;
  /** Account to use when the records carry none (from an S3 path or a CloudWatch envelope). */
  account?: string;
  /** Field list for lines without a header (an AWS custom LogFormat). */
  fields?: readonly string[];
}
