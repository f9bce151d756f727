// Link-layer header types (tcpdump.org/linktypes.html) that frames can start with. Capture
// files name one per interface; sFlow names its own header protocols, mapped here onto these.

export const LINKTYPE_NULL = 0; // BSD loopback: 4-byte address family in the writer's byte order
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_BSD = 12; // DLT_RAW as numbered on some BSDs
export const LINKTYPE_RAW_OPENBSD = 14; // DLT_RAW as numbered on OpenBSD
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108; // OpenBSD loopback: address family in network byte order
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** sFlow v5 header_protocol values that carry a frame this decoder understands. */
export const SFLOW_HEADER_ETHERNET = 1;
export const SFLOW_HEADER_IPV4 = 11;
export const SFLOW_HEADER_IPV6 = 12;

/** The link type of an sFlow sampled header, or -1 for protocols not decoded (Token Ring, FDDI, ...). */
export function linkTypeOfSflowHeader(headerProtocol: number): number {
  switch (headerProtocol) {
    case SFLOW_HEADER_ETHERNET:
      return LINKTYPE_ETHERNET;
    case SFLOW_HEADER_IPV4:
      return LINKTYPE_IPV4;
    case SFLOW_HEADER_IPV6:
      return LINKTYPE_IPV6;
    default:
      return -1;
  }
}
