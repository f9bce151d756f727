// Classic pcap as a byte stream (tcpdump -w -, or a file held in memory): records are handed
// to the probe as offsets into the chunk they arrived in, so nothing is allocated per packet.
// A record cut by a chunk boundary is carried over into a reused buffer. pcapng is not a
// streaming format tcpdump writes; capture files in it go through the pcap module's reader.

import { CaptureFormatError } from '../pcap/index.js';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** Larger than any snap length; a record claiming more is corruption. */
const MAX_RECORD = 1 << 18;

/** One record: its bytes at `offset`, the time as whole seconds and microseconds (small integers: nothing is boxed per packet). */
export type PacketHandler = (bytes: Uint8Array, offset: number, length: number, origLen: number, tsSec: number, tsUsec: number, linkType: number) => void;

export class PcapStream {
  private le = true;
  private nano = false;
  private linkType = -1;
  private carry = new Uint8Array(0);
  private carryLen = 0;
  /** Records read. */
  packets = 0;
  /** Bytes left over when the stream ended (a record cut short). */
  get pending(): number {
    return this.carryLen;
  }

  constructor(
    private readonly onPacket: PacketHandler,
    /** For messages. */
    private readonly name = 'capture stream',
  ) {}

  private u32(b: Uint8Array, p: number): number {
    return this.le ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0 : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  private header(b: Uint8Array, p: number): void {
    const be = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
    const le = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    if (be === MAGIC_US || be === MAGIC_NS) this.le = false;
    else if (le === MAGIC_US || le === MAGIC_NS) this.le = true;
    else if (be === 0x0a0d0d0a) throw new CaptureFormatError(`${this.name}: pcapng cannot be streamed; read it as a file`);
    else throw new CaptureFormatError(`${this.name}: not a pcap stream (starts with 0x${be.toString(16).padStart(8, '0')})`);
    this.nano = (this.le ? le : be) === MAGIC_NS;
    this.linkType = this.u32(b, p + 20) & 0xffff;
  }

  /** Parses whole records in b[from, to); returns where the first incomplete one starts. */
  private records(b: Uint8Array, from: number, to: number): number {
    let p = from;
    if (this.linkType < 0) {
      if (to - p < FILE_HEADER) return p;
      this.header(b, p);
      p += FILE_HEADER;
    }
    const link = this.linkType;
    const nano = this.nano;
    const le = this.le;
    let n = 0;
    while (to - p >= RECORD_HEADER) {
      // Little-endian, as tcpdump on x86 and ARM writes it, read inline; the other order by the method.
      const incl = le ? (b[p + 8] | (b[p + 9] << 8) | (b[p + 10] << 16) | (b[p + 11] << 24)) >>> 0 : this.u32(b, p + 8);
      if (incl > MAX_RECORD) throw new CaptureFormatError(`${this.name}: record claims ${incl} captured bytes; the stream is corrupt`);
      if (to - p - RECORD_HEADER < incl) break;
      const sec = le ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0 : this.u32(b, p);
      const frac = le ? (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0 : this.u32(b, p + 4);
      const orig = le ? (b[p + 12] | (b[p + 13] << 8) | (b[p + 14] << 16) | (b[p + 15] << 24)) >>> 0 : this.u32(b, p + 12);
      n++;
      this.onPacket(b, p + RECORD_HEADER, incl, orig, sec, nano ? (frac / 1000) | 0 : frac, link);
      p += RECORD_HEADER + incl;
    }
    this.packets += n;
    return p;
  }

  /** Bytes the carried record (or file header) needs in all, given what is carried so far. */
  private needed(): number {
    if (this.linkType < 0) return FILE_HEADER;
    if (this.carryLen < RECORD_HEADER) return RECORD_HEADER;
    return RECORD_HEADER + this.u32(this.carry, 8);
  }

  private keep(b: Uint8Array, from: number, to: number): void {
    const n = to - from;
    const need = this.carryLen + n;
    if (this.carry.length < need) {
      const bigger = new Uint8Array(Math.max(need, 64 * 1024, this.carry.length * 2));
      bigger.set(this.carry.subarray(0, this.carryLen));
      this.carry = bigger;
    }
    this.carry.set(b.subarray(from, to), this.carryLen);
    this.carryLen = need;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let from = 0;
    // First complete what the previous chunk left unfinished, copying only the bytes it lacks.
    while (this.carryLen > 0 && from < chunk.length) {
      const need = this.needed();
      if (need > MAX_RECORD + RECORD_HEADER) throw new CaptureFormatError(`${this.name}: record claims ${need - RECORD_HEADER} captured bytes; the stream is corrupt`);
      const take = Math.min(need - this.carryLen, chunk.length - from);
      this.keep(chunk, from, from + take);
      from += take;
      if (this.carryLen === this.needed()) {
        this.records(this.carry, 0, this.carryLen);
        this.carryLen = 0;
      }
    }
    if (this.carryLen > 0) return;
    const next = this.records(chunk, from, chunk.length);
    if (next < chunk.length) this.keep(chunk, next, chunk.length);
  }
}
