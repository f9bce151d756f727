// What the header decoder found in one frame, as a mutable struct that callers allocate once and
// hand to every decode: nothing is allocated per packet.

export const TUNNEL_NONE = 0;
export const TUNNEL_VXLAN = 1;

/** The fields of one L2–L4 header stack. */
export class LayerHeaders {
  /** 48-bit MAC addresses as numbers; 0 when the frame has no Ethernet header. */
  srcMac = 0;
  dstMac = 0;
  /** VLAN id of the outermost 802.1Q/802.1ad tag, 0 when untagged. */
  vlan = 0;
  /** VLAN id of the second tag (QinQ customer tag), 0 when there is none. */
  innerVlan = 0;
  vlanTags = 0;
  /** EtherType of what follows the L2 headers (VLAN tags, MPLS labels, PPPoE skipped); 0 when unknown. */
  etherType = 0;
  mplsLabels = 0;
  /** Top MPLS label (20 bits) when mplsLabels > 0. */
  mplsTopLabel = 0;

  /** 4 or 6 when an IP header was decoded, 0 otherwise. */
  ipVersion = 0;
  /** Addresses as four words, IPv4-mapped for IPv4 (the FlowBatch layout). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** IANA protocol number of the transport (after IPv6 extension headers). */
  protocol = 0;
  /** IPv4 TOS byte or IPv6 traffic class. */
  tos = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 identification or IPv6 fragment-header identification. */
  ipId = 0;
  flowLabel = 0;
  /**
   * Length of the whole IP packet from its own header (IPv4 total length, IPv6 payload length +
   * 40); 0 when the header leaves it unknown (segmentation offload, jumbograms).
   */
  ipTotalLength = 0;
  dontFragment = false;
  moreFragments = false;
  /** Fragment offset in bytes; non-zero means no transport header is present. */
  fragmentOffset = 0;

  /** For ICMP and ICMPv6: srcPort 0 and dstPort = type × 256 + code, as NetFlow and the clouds do. */
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  /** The UDP header's length field (header + payload). */
  udpLength = 0;

  /** Offsets into the decoded buffer; -1 where that layer was not reached. */
  l3Offset = -1;
  l4Offset = -1;
  /** First byte after the transport header. */
  payloadOffset = -1;

  get isFragment(): boolean {
    return this.moreFragments || this.fragmentOffset !== 0;
  }

  clearLayers(): void {
    this.srcMac = 0;
    this.dstMac = 0;
    this.vlan = 0;
    this.innerVlan = 0;
    this.vlanTags = 0;
    this.etherType = 0;
    this.mplsLabels = 0;
    this.mplsTopLabel = 0;
    this.ipVersion = 0;
    // Element stores: TypedArray.fill costs a builtin call per packet for four words.
    const s = this.src;
    const d = this.dst;
    s[0] = s[1] = s[2] = s[3] = 0;
    d[0] = d[1] = d[2] = d[3] = 0;
    this.protocol = 0;
    this.tos = 0;
    this.ttl = 0;
    this.ipId = 0;
    this.flowLabel = 0;
    this.ipTotalLength = 0;
    this.dontFragment = false;
    this.moreFragments = false;
    this.fragmentOffset = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.udpLength = 0;
    this.l3Offset = -1;
    this.l4Offset = -1;
    this.payloadOffset = -1;
  }

  copyLayersFrom(o: LayerHeaders): void {
    this.srcMac = o.srcMac;
    this.dstMac = o.dstMac;
    this.vlan = o.vlan;
    this.innerVlan = o.innerVlan;
    this.vlanTags = o.vlanTags;
    this.etherType = o.etherType;
    this.mplsLabels = o.mplsLabels;
    this.mplsTopLabel = o.mplsTopLabel;
    this.ipVersion = o.ipVersion;
    this.src.set(o.src);
    this.dst.set(o.dst);
    this.protocol = o.protocol;
    this.tos = o.tos;
    this.ttl = o.ttl;
    this.ipId = o.ipId;
    this.flowLabel = o.flowLabel;
    this.ipTotalLength = o.ipTotalLength;
    this.dontFragment = o.dontFragment;
    this.moreFragments = o.moreFragments;
    this.fragmentOffset = o.fragmentOffset;
    this.srcPort = o.srcPort;
    this.dstPort = o.dstPort;
    this.tcpFlags = o.tcpFlags;
    this.udpLength = o.udpLength;
    this.l3Offset = o.l3Offset;
    this.l4Offset = o.l4Offset;
    this.payloadOffset = o.payloadOffset;
  }
}

/**
 * A decoded frame. For a tunnelled frame (VXLAN) the layer fields describe the inner frame,
 * the one whose addresses name the endpoints, and `outer` keeps the carrier's headers.
 */
export class PacketHeaders extends LayerHeaders {
  tunnel = TUNNEL_NONE;
  /** VXLAN network identifier when tunnel is TUNNEL_VXLAN. */
  vni = 0;
  readonly outer = new LayerHeaders();
  /** The bytes ended inside a header: the fields decoded before that point are valid. */
  truncated = false;
  /** A header held an impossible value (IPv4 IHL < 5, too many extension headers, ...). */
  malformed = false;
  /** The link type is not one the decoder knows. */
  unsupportedLink = false;

  reset(): void {
    this.clearLayers();
    this.tunnel = TUNNEL_NONE;
    this.vni = 0;
    this.outer.clearLayers();
    this.truncated = false;
    this.malformed = false;
    this.unsupportedLink = false;
  }
}
