// Tencent Cloud flow logs as text: ENI records (AWS's v2 order) and cross-region CCN records,
// one per line, as delivered to CLS and shipped onwards (COS, CKafka).

import type { BatchSink } from '../../source.js';
import type { ParserOptions } from '../parser.js';
import { SpaceSeparatedParser, type Dialect } from '../space-separated.js';
import { TENCENT_FIELDS, tencentHeaderless, tencentLayout } from './fields.js';

export const TENCENT_DIALECT: Dialect = {
  format: 'tencent',
  catalog: TENCENT_FIELDS,
  layoutFor: tencentLayout,
  headerless: tencentHeaderless,
};

export function tencentTextParser(sink: BatchSink, opts: ParserOptions): SpaceSeparatedParser {
  return new SpaceSeparatedParser(sink, TENCENT_DIALECT, opts);
}
