// sFlow version 5 structure numbers (sflow.org/sflow_version_5.txt). Formats are
// enterprise << 12 | format; every number here is of the standard enterprise 0.

export const SFLOW_VERSION = 5;

export const ADDRESS_UNKNOWN = 0;
export const ADDRESS_IPV4 = 1;
export const ADDRESS_IPV6 = 2;

export const SAMPLE_FLOW = 1;
export const SAMPLE_COUNTERS = 2;
export const SAMPLE_FLOW_EXPANDED = 3;
export const SAMPLE_COUNTERS_EXPANDED = 4;

export const FLOW_SAMPLED_HEADER = 1;
export const FLOW_SAMPLED_ETHERNET = 2;
export const FLOW_SAMPLED_IPV4 = 3;
export const FLOW_SAMPLED_IPV6 = 4;
export const FLOW_EXTENDED_SWITCH = 1001;
export const FLOW_EXTENDED_ROUTER = 1002;
export const FLOW_EXTENDED_GATEWAY = 1003;

export const COUNTERS_GENERIC_INTERFACE = 1;
export const GENERIC_INTERFACE_BYTES = 88;

/** Interface formats: the top 2 bits of a compact interface word, or the expanded format word. */
export const IF_FORMAT_INDEX = 0;
export const IF_FORMAT_DISCARD = 1;
export const IF_FORMAT_MULTIPLE = 2;
/** ifIndex value meaning the packet came from or went to the device itself. */
export const IF_LOCAL = 0x3fffffff;

/**
 * Discard reasons (sflow.org/sflow_drops.txt) that are a policy decision rather than a fault:
 * ICMP unreachable codes 9, 10 and 13 (administratively prohibited) and 258 (acl). Samples
 * dropped for these become action REJECT; drops for congestion, TTL or routing stay ACCEPT,
 * since the action column answers "did a rule allow it", not "was it delivered".
 */
export function isPolicyDiscard(reason: number): boolean {
  return reason === 9 || reason === 10 || reason === 13 || reason === 258;
}
