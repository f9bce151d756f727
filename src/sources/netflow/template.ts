// A template, compiled once when it arrives: which bytes of a record go to which column, which
// of several equivalent elements wins (octetDeltaCount over octetTotalCount, ingressInterface over
// ingressPhysicalInterface ...), and how its times are encoded. Decoding a record is then a pass
// over the op array (see ops.ts) plus a few branches on flags fixed here.

import { IE, NSEL, PEN_REVERSE } from './elements.js';
import * as O from './ops.js';
import type { RecordReader } from './record-reader.js';
import { T_DELTA_US, T_MILLIS, T_NONE, T_NTP, T_SECONDS, T_UPTIME_MS } from './times.js';

/** Field length announcing an IPFIX variable-length field (RFC 7011 §7). */
export const VARLEN = 0xffff;

export interface FieldSpec {
  readonly id: number;
  /** Enterprise number, 0 for IANA (and for every NetFlow v9 field). */
  readonly pen: number;
  readonly length: number;
}

/** How the record's sampling rate is carried, when it is. */
export const RATE_NONE = 0;
export const RATE_INTERVAL = 1; // samplingInterval 34 / samplerRandomInterval 50: 1 in N
export const RATE_PACKET_SPACE = 2; // samplingPacketInterval 305 + samplingPacketSpace 306
export const RATE_POPULATION = 3; // samplingSize 309 + samplingPopulation 310

// Provided-column bits, so a sampled frame section (IE 315) only fills what the record lacks.
export const HAS_SRC_ADDR = 1;
export const HAS_DST_ADDR = 2;
export const HAS_PORTS = 4;
export const HAS_PROTO = 8;
export const HAS_MACS = 16;
export const HAS_VLAN = 32;
export const HAS_TCP_FLAGS = 64;

export class Template {
  /** Length of every record, or -1 when some field is variable-length. */
  readonly fixedLength: number;
  /** Smallest possible record (variable fields as one length byte). */
  readonly minLength: number;
  readonly ops: Int32Array;
  /** For variable-length templates: the field each op reads, to re-place it per record. */
  readonly opField: Int32Array;
  readonly fieldLens: Int32Array;
  /** Per-record scratch for variable-length templates (offset and length of each field). */
  readonly fieldOff: Int32Array;
  readonly fieldLen: Int32Array;
  readonly recordOps: Int32Array;

  firstKind = T_NONE;
  lastKind = T_NONE;
  /** Milliseconds per unit of the duration field (161 ms, 162 µs); 0 = none. */
  durationScale = 0;
  revFirstKind = T_NONE;
  revLastKind = T_NONE;
  hasPackets = false;
  hasBytes = false;
  hasReverse = false;
  hasRevFlags = false;
  /** 1: one type-code field (32/139); 2: separate type and code fields (176-179). */
  icmpMode = 0;
  hasFwEvent = false;
  hasFwdStatus = false;
  hasSamplerId = false;
  rateMode = RATE_NONE;
  hasFrame = false;
  hasFrameSize = false;
  provided = 0;
  /** Options template: a record describes the exporter (sampling, clock), not a flow. */
  readonly options: boolean;
  /** Leading scope fields of an options template. */
  readonly scopeCount: number;
  /** NetFlow v9 scope fields hold scope types (system, interface ...), not elements. */
  readonly v9Scope: boolean;
  /** When the template was last (re)announced, receive-time ms, for expiry. */
  seenMs = 0;
  /** Records decoded with it so far; once enough, a compiled reader replaces the op loop. */
  decoded = 0;
  reader: RecordReader | null = null;

  constructor(
    readonly id: number,
    readonly fields: readonly FieldSpec[],
    options: boolean,
    /** The definition's bytes, to recognise a refresh of the same layout cheaply. */
    readonly definition: Uint8Array,
    scopeCount = 0,
    v9Scope = false,
  ) {
    this.options = options;
    this.scopeCount = scopeCount;
    this.v9Scope = v9Scope;
    const n = fields.length;
    this.fieldLens = new Int32Array(n);
    this.fieldOff = new Int32Array(n);
    this.fieldLen = new Int32Array(n);
    let fixed = 0;
    let min = 0;
    let variable = false;
    for (let i = 0; i < n; i++) {
      const len = fields[i].length;
      this.fieldLens[i] = len;
      if (len === VARLEN) {
        variable = true;
        min += 1;
      } else {
        fixed += len;
        min += len;
        this.fieldOff[i] = fixed - len;
        this.fieldLen[i] = len;
      }
    }
    this.fixedLength = variable ? -1 : fixed;
    this.minLength = min;
    const built = options ? { ops: [] as number[], opField: [] as number[] } : this.compile();
    this.ops = Int32Array.from(built.ops);
    this.opField = Int32Array.from(built.opField);
    this.recordOps = variable ? new Int32Array(this.ops) : this.ops;
  }

  private compile(): { ops: number[]; opField: number[] } {
    const fs = this.fields;
    const ops: number[] = [];
    const opField: number[] = [];
    const emit = (i: number, op: number, slot = 0) => {
      ops.push(op, this.fieldOff[i], fs[i].length, slot);
      opField.push(i);
    };
    // Among equivalent elements the first present in this list wins, whatever the field order.
    const pick = (ids: readonly number[], pen = 0): number => {
      for (const id of ids) {
        const i = fs.findIndex((f) => f.id === id && f.pen === pen && numeric(f.length));
        if (i >= 0) return i;
      }
      return -1;
    };
    const bytes = pick([IE.octetDeltaCount, IE.octetTotalCount, IE.initiatorOctets, IE.postOctetDeltaCount]);
    const packets = pick([IE.packetDeltaCount, IE.packetTotalCount, IE.initiatorPackets, IE.postPacketDeltaCount]);
    const inIf = pick([IE.ingressInterface, IE.ingressPhysicalInterface]);
    const outIf = pick([IE.egressInterface, IE.egressPhysicalInterface]);
    const vlan = pick([IE.vlanId, IE.dot1qVlanId, IE.postVlanId, IE.postDot1qVlanId]);
    const first = pickTime(fs, [
      [IE.flowStartMilliseconds, T_MILLIS],
      [IE.flowStartSeconds, T_SECONDS],
      [IE.flowStartMicroseconds, T_NTP],
      [IE.flowStartNanoseconds, T_NTP],
      [IE.flowStartSysUpTime, T_UPTIME_MS],
      [IE.flowStartDeltaMicroseconds, T_DELTA_US],
    ]);
    const last = pickTime(fs, [
      [IE.flowEndMilliseconds, T_MILLIS],
      [IE.flowEndSeconds, T_SECONDS],
      [IE.flowEndMicroseconds, T_NTP],
      [IE.flowEndNanoseconds, T_NTP],
      [IE.flowEndSysUpTime, T_UPTIME_MS],
      [IE.flowEndDeltaMicroseconds, T_DELTA_US],
    ]);
    // An event time (ASA NSEL, observation points) stands in for both ends when nothing else does.
    const observed = pickTime(fs, [
      [IE.observationTimeMilliseconds, T_MILLIS],
      [IE.observationTimeSeconds, T_SECONDS],
      [IE.observationTimeMicroseconds, T_NTP],
      [IE.observationTimeNanoseconds, T_NTP],
    ]);
    const revFirst = pickTime(
      fs,
      [
        [IE.flowStartMilliseconds, T_MILLIS],
        [IE.flowStartSeconds, T_SECONDS],
        [IE.flowStartSysUpTime, T_UPTIME_MS],
      ],
      PEN_REVERSE,
    );
    const revLast = pickTime(
      fs,
      [
        [IE.flowEndMilliseconds, T_MILLIS],
        [IE.flowEndSeconds, T_SECONDS],
        [IE.flowEndSysUpTime, T_UPTIME_MS],
      ],
      PEN_REVERSE,
    );
    const revBytes = pick([IE.octetDeltaCount, IE.octetTotalCount], PEN_REVERSE);
    const revPackets = pick([IE.packetDeltaCount, IE.packetTotalCount], PEN_REVERSE);
    const revFlags = pick([IE.tcpControlBits], PEN_REVERSE);
    const duration = pick([IE.flowDurationMilliseconds, IE.flowDurationMicroseconds]);

    if (bytes >= 0) {
      emit(bytes, O.OP_SLOT, O.S_BYTES);
      this.hasBytes = true;
    }
    if (packets >= 0) {
      emit(packets, O.OP_SLOT, O.S_PACKETS);
      this.hasPackets = true;
    }
    if (inIf >= 0) emit(inIf, O.OP_IN_IF);
    if (outIf >= 0) emit(outIf, O.OP_OUT_IF);
    if (vlan >= 0) {
      emit(vlan, O.OP_VLAN);
      this.provided |= HAS_VLAN;
    }
    if (first.index >= 0) {
      emit(first.index, O.OP_SLOT, O.S_FIRST);
      this.firstKind = first.kind;
    } else if (observed.index >= 0) {
      emit(observed.index, O.OP_SLOT, O.S_FIRST);
      this.firstKind = observed.kind;
    }
    if (last.index >= 0) {
      emit(last.index, O.OP_SLOT, O.S_LAST);
      this.lastKind = last.kind;
    } else if (observed.index >= 0) {
      emit(observed.index, O.OP_SLOT, O.S_LAST);
      this.lastKind = observed.kind;
    }
    if (duration >= 0) {
      emit(duration, O.OP_SLOT, O.S_DURATION);
      this.durationScale = fs[duration].id === IE.flowDurationMilliseconds ? 1 : 0.001;
    }
    if (revBytes >= 0 || revPackets >= 0) {
      this.hasReverse = true;
      if (revBytes >= 0) emit(revBytes, O.OP_SLOT, O.S_REV_BYTES);
      if (revPackets >= 0) emit(revPackets, O.OP_SLOT, O.S_REV_PACKETS);
      if (revFlags >= 0) {
        emit(revFlags, O.OP_SLOT, O.S_REV_FLAGS);
        this.hasRevFlags = true;
      }
      if (revFirst.index >= 0) {
        emit(revFirst.index, O.OP_SLOT, O.S_REV_FIRST);
        this.revFirstKind = revFirst.kind;
      }
      if (revLast.index >= 0) {
        emit(revLast.index, O.OP_SLOT, O.S_REV_LAST);
        this.revLastKind = revLast.kind;
      }
    }

    // Elements whose every occurrence is written in template order: when an exporter repeats
    // addresses, ports or protocol (outer tunnel header first, inner packet second, as IOS XR
    // does for SRv6), the inner one lands last and describes the flow. An all-zero address never
    // replaces a set one: templates carrying both families fill only one of them.
    let samplerSeen = false;
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i];
      const len = f.length;
      if (len === 0) continue;
      if (f.pen !== 0) continue;
      switch (f.id) {
        case IE.sourceIPv4Address:
          if (len === 4) {
            emit(i, O.OP_SRC_V4);
            this.provided |= HAS_SRC_ADDR;
          }
          break;
        case IE.destinationIPv4Address:
          if (len === 4) {
            emit(i, O.OP_DST_V4);
            this.provided |= HAS_DST_ADDR;
          }
          break;
        case IE.sourceIPv6Address:
          if (len === 16) {
            emit(i, O.OP_SRC_V6);
            this.provided |= HAS_SRC_ADDR;
          }
          break;
        case IE.destinationIPv6Address:
          if (len === 16) {
            emit(i, O.OP_DST_V6);
            this.provided |= HAS_DST_ADDR;
          }
          break;
        case IE.sourceTransportPort:
          if (len <= 4) {
            emit(i, O.OP_SRC_PORT);
            this.provided |= HAS_PORTS;
          }
          break;
        case IE.destinationTransportPort:
          if (len <= 4) {
            emit(i, O.OP_DST_PORT);
            this.provided |= HAS_PORTS;
          }
          break;
        case IE.protocolIdentifier:
          if (len <= 8) {
            emit(i, O.OP_PROTO);
            this.provided |= HAS_PROTO;
          }
          break;
        case IE.tcpControlBits:
          if (len <= 8) {
            emit(i, O.OP_TCP_FLAGS);
            this.provided |= HAS_TCP_FLAGS;
          }
          break;
        case IE.sourceMacAddress:
        case IE.postSourceMacAddress:
          if (len === 6) {
            emit(i, O.OP_SRC_MAC);
            this.provided |= HAS_MACS;
          }
          break;
        case IE.destinationMacAddress:
        case IE.postDestinationMacAddress:
          if (len === 6) {
            emit(i, O.OP_DST_MAC);
            this.provided |= HAS_MACS;
          }
          break;
        case IE.bgpSourceAsNumber:
          if (len <= 4) emit(i, O.OP_SRC_ASN);
          break;
        case IE.bgpDestinationAsNumber:
          if (len <= 4) emit(i, O.OP_DST_ASN);
          break;
        case IE.flowDirection:
          if (len <= 8) emit(i, O.OP_DIRECTION);
          break;
        case IE.postNATSourceIPv4Address:
        case NSEL.NF_F_XLATE_SRC_ADDR_IPV4:
          if (len === 4) emit(i, O.OP_NAT_SRC_V4);
          break;
        case IE.postNATDestinationIPv4Address:
        case NSEL.NF_F_XLATE_DST_ADDR_IPV4:
          if (len === 4) emit(i, O.OP_NAT_DST_V4);
          break;
        case IE.postNATSourceIPv6Address:
          if (len === 16) emit(i, O.OP_NAT_SRC_V6);
          break;
        case IE.postNATDestinationIPv6Address:
          if (len === 16) emit(i, O.OP_NAT_DST_V6);
          break;
        case IE.postNAPTSourceTransportPort:
        case NSEL.NF_F_XLATE_SRC_PORT:
          if (len <= 4) emit(i, O.OP_NAT_SRC_PORT);
          break;
        case IE.postNAPTDestinationTransportPort:
        case NSEL.NF_F_XLATE_DST_PORT:
          if (len <= 4) emit(i, O.OP_NAT_DST_PORT);
          break;
        case IE.icmpTypeCodeIPv4:
        case IE.icmpTypeCodeIPv6:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_ICMP_TYPECODE);
            this.icmpMode = 1;
          }
          break;
        case IE.icmpTypeIPv4:
        case IE.icmpTypeIPv6:
          if (numeric(len) && this.icmpMode !== 1) {
            emit(i, O.OP_SLOT, O.S_ICMP_TYPE);
            this.icmpMode = 2;
          }
          break;
        case IE.icmpCodeIPv4:
        case IE.icmpCodeIPv6:
          if (numeric(len) && this.icmpMode !== 1) emit(i, O.OP_SLOT, O.S_ICMP_CODE);
          break;
        case IE.firewallEvent:
        case NSEL.NF_F_FW_EVENT:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_FW_EVENT);
            this.hasFwEvent = true;
          }
          break;
        case IE.forwardingStatus:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_FWD_STATUS);
            this.hasFwdStatus = true;
          }
          break;
        case IE.samplerId:
        case IE.selectorId:
          if (numeric(len) && !samplerSeen) {
            emit(i, O.OP_SLOT, O.S_SAMPLER_ID);
            this.hasSamplerId = samplerSeen = true;
          }
          break;
        case IE.samplingInterval:
        case IE.samplerRandomInterval:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_SAMPLING_INTERVAL);
            this.rateMode = RATE_INTERVAL;
          }
          break;
        case IE.samplingPacketInterval:
          if (numeric(len)) emit(i, O.OP_SLOT, O.S_PACKET_INTERVAL);
          break;
        case IE.samplingPacketSpace:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_PACKET_SPACE);
            this.rateMode ||= RATE_PACKET_SPACE;
          }
          break;
        case IE.samplingSize:
          if (numeric(len)) emit(i, O.OP_SLOT, O.S_SAMPLE_SIZE);
          break;
        case IE.samplingPopulation:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_POPULATION);
            this.rateMode ||= RATE_POPULATION;
          }
          break;
        case IE.dataLinkFrameSize:
          if (numeric(len)) {
            emit(i, O.OP_SLOT, O.S_FRAME_SIZE);
            this.hasFrameSize = true;
          }
          break;
        case IE.dataLinkFrameSection:
          emit(i, O.OP_SPAN, O.S_FRAME);
          this.hasFrame = true;
          break;
      }
    }
    return { ops, opField };
  }

  /** Whether `other` announces the very same layout (a periodic refresh). */
  sameAs(definition: Uint8Array, options: boolean): boolean {
    const d = this.definition;
    if (options !== this.options || d.length !== definition.length) return false;
    for (let i = 0; i < d.length; i++) if (d[i] !== definition[i]) return false;
    return true;
  }
}

function numeric(len: number): boolean {
  return len >= 1 && len <= 8;
}

function pickTime(fs: readonly FieldSpec[], choices: ReadonlyArray<readonly [number, number]>, pen = 0): { index: number; kind: number } {
  for (const [id, kind] of choices) {
    const i = fs.findIndex((f) => f.id === id && f.pen === pen && numeric(f.length));
    if (i >= 0) return { index: i, kind };
  }
  return { index: -1, kind: T_NONE };
}
