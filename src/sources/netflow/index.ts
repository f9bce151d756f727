// NetFlow v5/v9 and IPFIX decoding: the decoder and what callers need to read its counters.
export { NetflowDecoder, type NetflowDecoderOptions } from './decoder.js';
export { MALFORMED_REASONS, type MalformedReason, type NetflowStats } from './stats.js';
export { elementName, IE, PEN_REVERSE } from './elements.js';
