// AWS VPC and Transit Gateway flow logs as text: S3 objects (a header line, then records),
// CloudWatch Logs events (headerless, possibly inside JSON envelopes) and CloudWatch exports
// to S3 (each record after its event time).

import type { BatchSink } from '../../source.js';
import type { ParserOptions } from '../parser.js';
import { SpaceSeparatedParser, type Dialect } from '../space-separated.js';
import { AWS_FIELDS, awsHeaderless, awsLayout } from './fields.js';

export const AWS_DIALECT: Dialect = {
  format: 'aws',
  catalog: AWS_FIELDS,
  layoutFor: awsLayout,
  headerless: (count, token) => awsHeaderless(count, () => token(1)),
};

export function awsTextParser(sink: BatchSink, opts: ParserOptions): SpaceSeparatedParser {
  return new SpaceSeparatedParser(sink, AWS_DIALECT, opts);
}

/** A LogFormat string (`${version} ${srcaddr} …`) or a plain name list as field names. */
export function parseLogFormat(text: string): string[] {
  return text
    .trim()
    .split(/[\s,]+/)
    .filter((x) => x !== '');
}
