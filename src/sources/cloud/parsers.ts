// One parser per cloud, picked by format name.

import type { BatchSink } from '../source.js';
import { awsTextParser } from './aws/text.js';
import { azureParser } from './azure/flow-events.js';
import { gcpParser } from './gcp/vpc-flows.js';
import type { CloudFormat, FlowLogParser, ParserOptions } from './parser.js';
import { tencentTextParser } from './tencent/text.js';

export function makeParser(format: CloudFormat, sink: BatchSink, opts: ParserOptions): FlowLogParser {
  switch (format) {
    case 'aws':
      return awsTextParser(sink, opts);
    case 'tencent':
      return tencentTextParser(sink, opts);
    case 'gcp':
      return gcpParser(sink, opts);
    case 'azure':
      return azureParser(sink, opts);
  }
}
