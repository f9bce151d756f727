// Information element numbers the decoder understands, from the IANA IPFIX registry (ids below
// 128 are shared with NetFlow v9, RFC 3954) plus the vendor elements seen in real exports.
// Anything not listed is skipped by its length, so an unknown element never breaks a record.

/** IANA enterprise number of the RFC 5103 reverse-direction elements. */
export const PEN_REVERSE = 29305;

export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  ipClassOfService: 5,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  ingressInterface: 10,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  egressInterface: 14,
  bgpSourceAsNumber: 16,
  bgpDestinationAsNumber: 17,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  postOctetDeltaCount: 23,
  postPacketDeltaCount: 24,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  samplingInterval: 34,
  samplingAlgorithm: 35,
  samplerId: 48,
  samplerMode: 49,
  samplerRandomInterval: 50,
  sourceMacAddress: 56,
  postDestinationMacAddress: 57,
  vlanId: 58,
  postVlanId: 59,
  flowDirection: 61,
  destinationMacAddress: 80,
  postSourceMacAddress: 81,
  octetTotalCount: 85,
  packetTotalCount: 86,
  forwardingStatus: 89,
  icmpTypeCodeIPv6: 139,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  flowStartDeltaMicroseconds: 158,
  flowEndDeltaMicroseconds: 159,
  systemInitTimeMilliseconds: 160,
  flowDurationMilliseconds: 161,
  flowDurationMicroseconds: 162,
  icmpTypeIPv4: 176,
  icmpCodeIPv4: 177,
  icmpTypeIPv6: 178,
  icmpCodeIPv6: 179,
  postNATSourceIPv4Address: 225,
  postNATDestinationIPv4Address: 226,
  postNAPTSourceTransportPort: 227,
  postNAPTDestinationTransportPort: 228,
  initiatorOctets: 231,
  responderOctets: 232,
  firewallEvent: 233,
  dot1qVlanId: 243,
  ingressPhysicalInterface: 252,
  egressPhysicalInterface: 253,
  postDot1qVlanId: 254,
  postNATSourceIPv6Address: 281,
  postNATDestinationIPv6Address: 282,
  initiatorPackets: 298,
  responderPackets: 299,
  selectorId: 302,
  selectorAlgorithm: 304,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
  samplingSize: 309,
  samplingPopulation: 310,
  dataLinkFrameSize: 312,
  dataLinkFrameSection: 315,
  observationTimeSeconds: 322,
  observationTimeMilliseconds: 323,
  observationTimeMicroseconds: 324,
  observationTimeNanoseconds: 325,
} as const;

/**
 * NetFlow v9 field types of Cisco ASA NSEL above the IANA range. They only exist in v9: in IPFIX
 * a number with the top bit set announces an enterprise number instead.
 */
export const NSEL = {
  NF_F_XLATE_SRC_ADDR_IPV4: 40001,
  NF_F_XLATE_DST_ADDR_IPV4: 40002,
  NF_F_XLATE_SRC_PORT: 40003,
  NF_F_XLATE_DST_PORT: 40004,
  NF_F_FW_EVENT: 40005,
  NF_F_FW_EXT_EVENT: 33002,
  NF_F_INGRESS_ACL_ID: 33000,
  NF_F_EGRESS_ACL_ID: 33001,
} as const;

/** firewallEvent (IE 233) and NF_F_FW_EVENT value for a flow the firewall refused. */
export const FW_EVENT_DENIED = 3;

/** forwardingStatus (IE 89): the top two bits of the status byte; 2 = dropped. */
export const FORWARDING_DROPPED = 2;

const standardNames = new Map<number, string>(Object.entries(IE).map(([name, id]) => [id, name]));
const nselNames = new Map<number, string>(Object.entries(NSEL).map(([name, id]) => [id, name]));

/**
 * Enterprise elements seen in the captured exports, named for diagnostics (numbers checked
 * against the field order of the vendors' own records in the logstash-codec-netflow captures).
 */
const enterpriseNames = new Map<string, string>([
  ['10704:1', 'barracudaTimestamp'],
  ['10704:2', 'barracudaLogOp'],
  ['10704:3', 'barracudaTrafficType'],
  ['10704:4', 'barracudaFwRule'],
  ['10704:5', 'barracudaServiceName'],
  ['10704:6', 'barracudaReason'],
  ['10704:7', 'barracudaReasonText'],
  ['10704:8', 'barracudaBindIPv4Address'],
  ['10704:9', 'barracudaBindTransportPort'],
  ['10704:10', 'barracudaConnIPv4Address'],
  ['10704:11', 'barracudaConnTransportPort'],
  ['10704:12', 'barracudaAuditCounter'],
  ['637:91', 'nokiaNatInsideSvcid'],
  ['637:92', 'nokiaNatOutsideSvcid'],
  ['637:93', 'nokiaNatSubString'],
  ['3054:110', 'ixiaL7AppId'],
  ['3054:111', 'ixiaL7AppName'],
]);

/** A readable name for an element (for logs and tests), `pen:id` when unknown. */
export function elementName(id: number, pen = 0): string {
  if (pen === 0) return standardNames.get(id) ?? nselNames.get(id) ?? `${id}`;
  if (pen === PEN_REVERSE) {
    const base = standardNames.get(id);
    return base ? `reverse${base[0].toUpperCase()}${base.slice(1)}` : `${pen}:${id}`;
  }
  return enterpriseNames.get(`${pen}:${id}`) ?? `${pen}:${id}`;
}
