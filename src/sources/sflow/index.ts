export { SflowDecoder, type SflowDecoderOptions } from './decoder.js';
export { CounterList, InterfaceCounterBatch, type CounterSink, type InterfaceCounterRecord } from './interface-counters.js';
export { MALFORMED_REASONS, SflowStats, type MalformedReason } from './stats.js';
