// What the decoder remembers between datagrams: per exporter address, per observation domain
// (v9 source id, IPFIX observation domain id, v5 engine), the templates, the sampler table, the
// exporter's clock and where its sequence numbers should go next. Every map here is capped, so a
// flood of made-up source ids or interface numbers costs bounded memory.

import { formatIp } from '../../schema/ip.js';
import type { Template } from './template.js';

/** Interface numbers whose `<exporter>/<ifindex>` text is kept per exporter. */
const MAX_INTERFACE_NAMES = 4096;

export class DomainState {
  readonly templates = new Map<number, Template>();
  /** samplerId / selectorId → packets per sample, from options records. */
  private readonly samplers = new Map<number, number>();
  // The records of a datagram mostly name one sampler: the last answer is kept.
  private lastSampler = -1;
  private lastSamplerRate = 0;
  /** Rate announced without a sampler id (system-wide), 0 = none. */
  defaultRate = 0;
  /** Unix ms of exporter uptime 0 (IPFIX systemInitTimeMilliseconds), 0 = unknown. */
  initMs = 0;
  /** Sequence number the next message should carry; -1 = unknown. */
  nextSequence = -1;
  /** Data sets waiting in the pending queue for a template of this domain. */
  pendingSets = 0;

  constructor(
    readonly key: number,
    readonly exporter: ExporterState,
  ) {}

  /** Packets per sample for a sampler id, 0 when the exporter has not announced it. */
  samplerRate(id: number): number {
    if (id === this.lastSampler) return this.lastSamplerRate;
    const rate = this.samplers.get(id) ?? 0;
    this.lastSampler = id;
    this.lastSamplerRate = rate;
    return rate;
  }

  setSamplerRate(id: number, rate: number, max: number): void {
    if (this.samplers.size >= max && !this.samplers.has(id)) this.samplers.clear();
    this.samplers.set(id, rate);
    this.lastSampler = -1;
  }
}

export class ExporterState {
  readonly domains = new Map<number, DomainState>();
  readonly text: string;
  private readonly interfaceNames = new Map<number, string>();
  /** interface_id codes already interned in the batch whose dictionary is `codesFor`. */
  private readonly interfaceCodes = new Map<number, number>();
  private codesFor: string[] | null = null;
  private lastIf = -1;
  private lastCode = 0;

  constructor(
    readonly key: string,
    readonly address: Uint32Array,
  ) {
    this.text = formatIp(address, 0);
  }

  /** `<exporter>/<ifindex>` as a code of `dict`, interning it once per batch. */
  interfaceCode(ifIndex: number, dict: { values: string[]; intern(s: string): number }): number {
    if (this.codesFor !== dict.values) {
      this.interfaceCodes.clear();
      this.codesFor = dict.values;
      this.lastIf = -1;
    }
    // Records of one datagram mostly share their interface.
    if (ifIndex === this.lastIf) return this.lastCode;
    let code = this.interfaceCodes.get(ifIndex);
    if (code === undefined) {
      let name = this.interfaceNames.get(ifIndex);
      if (name === undefined) {
        if (this.interfaceNames.size >= MAX_INTERFACE_NAMES) this.interfaceNames.clear();
        name = `${this.text}/${ifIndex}`;
        this.interfaceNames.set(ifIndex, name);
      }
      code = dict.intern(name);
      if (this.interfaceCodes.size >= MAX_INTERFACE_NAMES) this.interfaceCodes.clear();
      this.interfaceCodes.set(ifIndex, code);
    }
    this.lastIf = ifIndex;
    this.lastCode = code;
    return code;
  }
}

/** Domain keys keep versions apart: v9 source id 0 and IPFIX domain 0 are different exporters' worlds. */
export function domainKey(version: number, id: number): number {
  return version * 4294967296 + id;
}
