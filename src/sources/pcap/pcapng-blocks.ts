// pcapng (draft-ietf-opsawg-pcapng): a sequence of sections, each opened by a Section Header
// Block that fixes the byte order, holding Interface Description Blocks (link type, timestamp
// resolution and offset per interface) and the packet blocks that refer to them.

import { CORRUPT, MAX_RECORD_BYTES, NEED_MORE, readU16, readU32, type CapturedPacket, type RecordParser } from './record-parser.js';

export const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Interface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per millisecond (1000 for the default microseconds). */
  unitsPerMs: number;
  offsetMs: number;
}

export class PcapngBlocks implements RecordParser {
  readonly format = 'pcapng' as const;
  readonly start: number;
  packet: CapturedPacket | null = null;
  need = 0;
  problem = '';
  skippedBlocks = 0;
  /** Packet blocks dropped because they were inconsistent (unknown interface, length overrun). */
  badBlocks = 0;
  private le = true;
  private interfaces: Interface[] = [];

  constructor(at: number) {
    this.start = at;
  }

  parse(b: Uint8Array, at: number, end: number): number {
    this.packet = null;
    if (end - at < 12) {
      this.need = 12;
      return NEED_MORE;
    }
    const type = readU32(b, at, this.le);
    if (type === BLOCK_SHB) {
      // The section's byte order is only known from the magic inside its header block.
      if (readU32(b, at + 8, true) === BYTE_ORDER_MAGIC) this.le = true;
      else if (readU32(b, at + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
      else {
        this.problem = `section header at byte ${at} has no byte-order magic`;
        return CORRUPT;
      }
    }
    const total = readU32(b, at + 4, this.le);
    if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
      this.problem = `block at byte ${at} has impossible length ${total}`;
      return CORRUPT;
    }
    if (end - at < total) {
      this.need = total;
      return NEED_MORE;
    }
    if (readU32(b, at + total - 4, this.le) !== total) {
      this.problem = `block at byte ${at}: trailing length differs from leading length ${total}`;
      return CORRUPT;
    }
    const body = at + 8;
    const bodyEnd = at + total - 4;
    switch (type) {
      case BLOCK_SHB:
        this.interfaces = [];
        break;
      case BLOCK_IDB:
        this.addInterface(b, body, bodyEnd);
        break;
      case BLOCK_EPB:
        this.enhancedPacket(b, body, bodyEnd);
        break;
      case BLOCK_OPB:
        this.obsoletePacket(b, body, bodyEnd);
        break;
      case BLOCK_SPB:
        this.simplePacket(b, body, bodyEnd);
        break;
      default:
        this.skippedBlocks++;
    }
    return at + total;
  }

  private addInterface(b: Uint8Array, p: number, end: number): void {
    if (end - p < 8) {
      this.badBlocks++;
      // Keep interface numbering aligned with the file even when one description is unusable.
      this.interfaces.push({ linkType: -1, snapLen: 0, unitsPerMs: 1000, offsetMs: 0 });
      return;
    }
    const iface: Interface = { linkType: readU16(b, p, this.le), snapLen: readU32(b, p + 4, this.le), unitsPerMs: 1000, offsetMs: 0 };
    let q = p + 8;
    while (end - q >= 4) {
      const code = readU16(b, q, this.le);
      const len = readU16(b, q + 2, this.le);
      const v = q + 4;
      if (code === OPT_END || v + len > end) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        const r = b[v];
        // High bit set: a power of two; clear: a power of ten (units per second).
        const perSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        iface.unitsPerMs = perSecond / 1000;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        const hi = readU32(b, this.le ? v + 4 : v, this.le) | 0;
        const lo = readU32(b, this.le ? v : v + 4, this.le);
        iface.offsetMs = (hi * 4294967296 + lo) * 1000;
      }
      q = v + ((len + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private timestamp(iface: Interface, hi: number, lo: number): number {
    // Below 2^53 units the count is exact and one division rounds once; nanosecond counts
    // exceed that, and the split form loses no more than the double result can hold anyway.
    const ms = hi < 0x200000 ? (hi * 4294967296 + lo) / iface.unitsPerMs : hi * (4294967296 / iface.unitsPerMs) + lo / iface.unitsPerMs;
    return ms + iface.offsetMs;
  }

  private enhancedPacket(b: Uint8Array, p: number, end: number): void {
    if (end - p < 20) return void this.badBlocks++;
    const iface = this.interfaces[readU32(b, p, this.le)];
    const cap = readU32(b, p + 12, this.le);
    if (!iface || iface.linkType < 0 || p + 20 + cap > end) return void this.badBlocks++;
    this.packet = {
      tsMs: this.timestamp(iface, readU32(b, p + 4, this.le), readU32(b, p + 8, this.le)),
      linkType: iface.linkType,
      data: b.subarray(p + 20, p + 20 + cap),
      origLen: readU32(b, p + 16, this.le),
    };
  }

  private obsoletePacket(b: Uint8Array, p: number, end: number): void {
    if (end - p < 20) return void this.badBlocks++;
    const iface = this.interfaces[readU16(b, p, this.le)];
    const cap = readU32(b, p + 12, this.le);
    if (!iface || iface.linkType < 0 || p + 20 + cap > end) return void this.badBlocks++;
    this.packet = {
      tsMs: this.timestamp(iface, readU32(b, p + 4, this.le), readU32(b, p + 8, this.le)),
      linkType: iface.linkType,
      data: b.subarray(p + 20, p + 20 + cap),
      origLen: readU32(b, p + 16, this.le),
    };
  }

  /** A Simple Packet Block belongs to the first interface and carries no timestamp (tsMs 0). */
  private simplePacket(b: Uint8Array, p: number, end: number): void {
    const iface = this.interfaces[0];
    if (end - p < 4 || !iface || iface.linkType < 0) return void this.badBlocks++;
    const orig = readU32(b, p, this.le);
    let cap = Math.min(orig, end - p - 4);
    if (iface.snapLen > 0) cap = Math.min(cap, iface.snapLen);
    this.packet = { tsMs: 0, linkType: iface.linkType, data: b.subarray(p + 4, p + 4 + cap), origLen: orig };
  }
}
