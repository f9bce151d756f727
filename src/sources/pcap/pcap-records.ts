// Classic libpcap files: a 24-byte file header whose magic gives the byte order and the
// timestamp resolution (µs or ns), then 16-byte record headers each followed by the packet.

import { CORRUPT, MAX_RECORD_BYTES, NEED_MORE, readU32, type CapturedPacket, type RecordParser } from './record-parser.js';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** The byte order and resolution a pcap magic number announces, or undefined for another magic. */
export function pcapMagic(b: Uint8Array, at: number): { le: boolean; nano: boolean } | undefined {
  const be = readU32(b, at, false);
  const le = readU32(b, at, true);
  if (be === MAGIC_US) return { le: false, nano: false };
  if (be === MAGIC_NS) return { le: false, nano: true };
  if (le === MAGIC_US) return { le: true, nano: false };
  if (le === MAGIC_NS) return { le: true, nano: true };
  return undefined;
}

export const PCAP_HEADER_BYTES = FILE_HEADER_BYTES;

export class PcapRecords implements RecordParser {
  readonly format = 'pcap' as const;
  readonly start: number;
  readonly linkType: number;
  packet: CapturedPacket | null = null;
  need = 0;
  problem = '';
  skippedBlocks = 0;
  private readonly le: boolean;
  private readonly nano: boolean;

  /** `b` must hold the whole 24-byte file header at `at` (checked by the caller). */
  constructor(b: Uint8Array, at: number) {
    const m = pcapMagic(b, at)!;
    this.le = m.le;
    this.nano = m.nano;
    // The upper bits of the link-type word carry FCS information, not the type.
    this.linkType = readU32(b, at + 20, this.le) & 0xffff;
    this.start = at + FILE_HEADER_BYTES;
  }

  parse(b: Uint8Array, at: number, end: number): number {
    this.packet = null;
    if (end - at < RECORD_HEADER_BYTES) {
      this.need = RECORD_HEADER_BYTES;
      return NEED_MORE;
    }
    const sec = readU32(b, at, this.le);
    const frac = readU32(b, at + 4, this.le);
    const incl = readU32(b, at + 8, this.le);
    const orig = readU32(b, at + 12, this.le);
    if (incl > MAX_RECORD_BYTES) {
      this.problem = `record at byte ${at} claims ${incl} captured bytes`;
      return CORRUPT;
    }
    const next = at + RECORD_HEADER_BYTES + incl;
    if (next > end) {
      this.need = RECORD_HEADER_BYTES + incl;
      return NEED_MORE;
    }
    this.packet = {
      tsMs: sec * 1000 + (this.nano ? frac / 1e6 : frac / 1e3),
      linkType: this.linkType,
      data: b.subarray(at + RECORD_HEADER_BYTES, next),
      origLen: orig,
    };
    return next;
  }
}
