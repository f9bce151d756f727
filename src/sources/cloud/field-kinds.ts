// What a column of a space-separated flow-log line means to us. AWS (VPC and Transit Gateway)
// and Tencent (ENI and CCN) all write one record per line with a field list that is either
// fixed or named by a header; each cloud maps its field names onto these kinds.

// Numbered so that every kind whose value is a plain unsigned number comes last (the parser
// reads those digits while it scans the token).
export const enum K {
  skip = 0,
  version = 1,
  account = 2,
  iface = 3,
  vpc = 4,
  subnet = 5,
  instance = 6,
  srcAddr = 7,
  dstAddr = 8,
  pktSrcAddr = 9,
  pktDstAddr = 10,
  action = 11,
  logStatus = 12,
  direction = 13,
  rejectReason = 14,
  srcPort = 15,
  dstPort = 16,
  protocol = 17,
  tcpFlags = 18,
  packets = 19,
  bytes = 20,
  start = 21,
  end = 22,
  lostNoRoute = 23,
  lostBlackhole = 24,
  lostMtu = 25,
  lostTtl = 26,
}

export const FIRST_NUMERIC_KIND = K.srcPort;

export type Kind = K;

/** A field list resolved to kinds, plus what the list implies for every record. */
export interface Layout {
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  /** Record version when the list has no version column (AWS: the newest field's version). */
  readonly impliedVersion: number;
  /** start/end are first/last packet times (AWS, Tencent CCN), not window bounds. */
  readonly packetTimes: boolean;
  /** REJECT means a bandwidth-limit drop, not a security-group decision (Tencent CCN). */
  readonly rejectIsRateLimit: boolean;
  /** Has packets-lost-* columns (AWS Transit Gateway). */
  readonly hasLoss: boolean;
}

/** Header names as users and clouds write them: `${pkt-srcaddr}`, `pkt_srcaddr`, `PKT-SRCADDR`. */
export function normaliseName(raw: string): string {
  let s = raw.trim();
  if (s.startsWith('${') && s.endsWith('}')) s = s.slice(2, -1);
  return s.toLowerCase().replace(/_/g, '-');
}

export interface FieldInfo {
  kind: Kind;
  /** AWS version that introduced the field; 0 when not versioned. */
  version: number;
}

export function makeLayout(
  names: readonly string[],
  catalog: ReadonlyMap<string, FieldInfo>,
  opts: { packetTimes: boolean; rejectIsRateLimit?: boolean },
): Layout {
  const kinds = new Uint8Array(names.length);
  let implied = 0;
  let hasLoss = false;
  names.forEach((n, i) => {
    const info = catalog.get(normaliseName(n));
    kinds[i] = info?.kind ?? K.skip;
    if (info && info.version > implied) implied = info.version;
    if (info && info.kind >= K.lostNoRoute && info.kind <= K.lostTtl) hasLoss = true;
  });
  return { names, kinds, impliedVersion: implied, packetTimes: opts.packetTimes, rejectIsRateLimit: opts.rejectIsRateLimit ?? false, hasLoss };
}

/** How many columns of a list we understand (to tell a header from a record). */
export function knownCount(names: readonly string[], catalog: ReadonlyMap<string, FieldInfo>): number {
  let n = 0;
  for (const x of names) if (catalog.has(normaliseName(x))) n++;
  return n;
}
