// Counters the decoder keeps: everything that moves, and every reason input was refused.

/** Why (part of) a datagram was not decoded. Fixed list: each becomes one metrics series. */
export const MALFORMED_REASONS = [
  'short_header', // fewer bytes than the version's header
  'unsupported_version', // NetFlow v1, v7, v8 … or not NetFlow at all
  'bad_length', // IPFIX message length below its header
  'truncated', // a length field points past the end of the datagram
  'trailing_bytes', // bytes after the IPFIX message length (one message per datagram, RFC 7011 §10.3)
  'bad_set_length', // set/flowset length below 4
  'reserved_set_id', // set id the protocol reserves (v9 2-255, IPFIX 0, 1, 4-255)
  'bad_template', // template record that cannot be right (id below 256, empty, overruns its set)
  'bad_options_template',
  'bad_record', // variable-length record overrunning its set
  'v5_count', // v5 header count larger than the records present (or than 30)
  'internal_error', // a defect in the decoder, caught so the receiving loop survives; should stay 0
] as const;

export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export interface NetflowStats {
  /** Datagrams of a supported version (v5, v9, IPFIX). */
  datagrams: number;
  /** Flow rows written (a biflow counts twice). */
  flows: number;
  /** Options records read (sampler tables, exporter clock). */
  optionsRecords: number;
  malformed: Record<MalformedReason, number>;
  sequenceGaps: {
    /** Messages whose sequence number was not the one expected. */
    gaps: number;
    /** Flows missing in v5 and IPFIX streams, whose sequence counts records. */
    missingFlows: number;
    /** Export packets missing in v9 streams, whose sequence counts packets (RFC 3954 §5.1). */
    missingDatagrams: number;
    /** Sequence numbers that went backwards (exporter restart or reordering). */
    resets: number;
  };
  templates: {
    /** Templates held now. */
    active: number;
    /** Template records accepted (a refresh of the same layout included). */
    received: number;
    /** Existing template ids announced again with another layout. */
    changed: number;
    withdrawn: number;
    expired: number;
    /** Dropped to stay under the caps on templates, exporters and domains. */
    evicted: number;
  };
  pending: {
    /** Data sets waiting for their template now. */
    queued: number;
    /** Waiting sets decoded once their template arrived. */
    decoded: number;
    /** Waiting sets dropped (queue full, or their template never came within the timeout). */
    dropped: number;
  };
}

export function emptyStats(): NetflowStats {
  const malformed = {} as Record<MalformedReason, number>;
  for (const r of MALFORMED_REASONS) malformed[r] = 0;
  return {
    datagrams: 0,
    flows: 0,
    optionsRecords: 0,
    malformed,
    sequenceGaps: { gaps: 0, missingFlows: 0, missingDatagrams: 0, resets: 0 },
    templates: { active: 0, received: 0, changed: 0, withdrawn: 0, expired: 0, evicted: 0 },
    pending: { queued: 0, decoded: 0, dropped: 0 },
  };
}
