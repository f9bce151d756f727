// The shape both capture formats are read through: one record at a time from a byte range, so
// the same code serves a whole file in memory and a file streamed in chunks.

export interface CapturedPacket {
  /** Unix milliseconds, fractional for µs/ns resolution; 0 when the record carries no time. */
  tsMs: number;
  linkType: number;
  /** The captured bytes (a view into the reader's buffer, never overwritten afterwards). */
  data: Uint8Array;
  /** Length of the packet on the wire, of which `data` may hold only the start. */
  origLen: number;
}

/** Thrown for input that is not a pcap or pcapng file at all; the message names the problem. */
export class CaptureFormatError extends Error {
  override name = 'CaptureFormatError';
}

/** parse() result: the record runs past the bytes available (`need` says how many it takes). */
export const NEED_MORE = -1;
/** parse() result: the bytes cannot be a record (`problem` says why); nothing after can be trusted. */
export const CORRUPT = -2;

/** Records larger than this are taken as corruption rather than data (snap lengths are ≤ 256 KiB). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  /** Offset of the first record after the file header. */
  readonly start: number;
  /** Set by parse(): the packet of the record just read, or null for a block without one. */
  packet: CapturedPacket | null;
  /** Set by parse() on NEED_MORE: bytes the record needs counted from its start. */
  need: number;
  /** Set by parse() on CORRUPT. */
  problem: string;
  /** Non-packet blocks passed over (statistics, name resolution, unknown types). */
  skippedBlocks: number;
  /** Parses the record at buf[at, end): returns the offset after it, NEED_MORE or CORRUPT. */
  parse(buf: Uint8Array, at: number, end: number): number;
}

export function readU32(b: Uint8Array, p: number, le: boolean): number {
  return le ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0 : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

export function readU16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}
