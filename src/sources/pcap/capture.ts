// Reads capture files (pcap and pcapng) as a stream of packets, from a buffer or from disk in
// chunks so that files larger than memory can be decoded.

import { open, type FileHandle } from 'node:fs/promises';
import { PCAP_HEADER_BYTES, PcapRecords, pcapMagic } from './pcap-records.js';
import { BLOCK_SHB, PcapngBlocks } from './pcapng-blocks.js';
import { CORRUPT, CaptureFormatError, NEED_MORE, readU32, type CapturedPacket, type RecordParser } from './record-parser.js';

export { CaptureFormatError, type CapturedPacket } from './record-parser.js';

/** What a read went through; filled in as the iteration goes and final when it ends. */
export class CaptureStats {
  format: 'pcap' | 'pcapng' | '' = '';
  packets = 0;
  /** The file ended inside a record: the packets before it were all delivered. */
  truncated = false;
  /** Non-empty when a record could not be framed (impossible length); reading stopped there. */
  corrupt = '';
  /** pcapng blocks without packets that were passed over (statistics, name resolution, ...). */
  skippedBlocks = 0;
  /** pcapng packet blocks dropped as inconsistent (unknown interface, captured length overrun). */
  badBlocks = 0;
}

const CHUNK_BYTES = 1 << 20;

/** Chooses the parser from the magic number; throws CaptureFormatError for anything else. */
function openParser(b: Uint8Array, end: number, name: string): RecordParser {
  if (end < 4) throw new CaptureFormatError(`${name}: ${end === 0 ? 'empty file' : 'too short to be a capture file'}`);
  if (pcapMagic(b, 0)) {
    if (end < PCAP_HEADER_BYTES) throw new CaptureFormatError(`${name}: pcap file header cut short (${end} of ${PCAP_HEADER_BYTES} bytes)`);
    return new PcapRecords(b, 0);
  }
  if (readU32(b, 0, false) === BLOCK_SHB) return new PcapngBlocks(0);
  const magic = readU32(b, 0, false).toString(16).padStart(8, '0');
  throw new CaptureFormatError(`${name}: not a pcap or pcapng file (starts with 0x${magic})`);
}

function finish(parser: RecordParser, stats: CaptureStats): void {
  stats.skippedBlocks = parser.skippedBlocks;
  if (parser instanceof PcapngBlocks) stats.badBlocks = parser.badBlocks;
}

/** Packets of a capture held in memory; `data` of each packet is a view into `buf`. */
export function* readCapture(buf: Uint8Array, stats = new CaptureStats()): Generator<CapturedPacket, CaptureStats> {
  const parser = openParser(buf, buf.length, 'capture');
  stats.format = parser.format;
  let at = parser.start;
  try {
    while (at < buf.length) {
      const next = parser.parse(buf, at, buf.length);
      if (next === NEED_MORE) {
        stats.truncated = true;
        break;
      }
      if (next === CORRUPT) {
        stats.corrupt = parser.problem;
        break;
      }
      at = next;
      if (parser.packet) {
        stats.packets++;
        yield parser.packet;
      }
    }
  } finally {
    finish(parser, stats);
  }
  return stats;
}

async function fill(fh: FileHandle, buf: Uint8Array, from: number): Promise<number> {
  let at = from;
  while (at < buf.length) {
    const { bytesRead } = await fh.read(buf, at, buf.length - at, null);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at;
}

/**
 * Packets of a capture file read in chunks. Each chunk is a fresh buffer, so a packet's `data`
 * stays valid after the iteration moves on.
 */
export async function* readCaptureFile(path: string, stats = new CaptureStats()): AsyncGenerator<CapturedPacket, CaptureStats> {
  const fh = await open(path, 'r');
  let parser: RecordParser | undefined;
  try {
    let buf = new Uint8Array(CHUNK_BYTES);
    let len = await fill(fh, buf, 0);
    let eof = len < buf.length;
    parser = openParser(buf, len, path);
    stats.format = parser.format;
    let at = parser.start;
    for (;;) {
      const next = at < len ? parser.parse(buf, at, len) : NEED_MORE;
      if (next === NEED_MORE) {
        if (eof) {
          if (at < len) stats.truncated = true;
          break;
        }
        const keep = len - at;
        const size = Math.max(CHUNK_BYTES, parser.need + CHUNK_BYTES / 4);
        const nb = new Uint8Array(size);
        nb.set(buf.subarray(at, len));
        len = await fill(fh, nb, keep);
        eof = len < nb.length;
        buf = nb;
        at = 0;
        continue;
      }
      if (next === CORRUPT) {
        stats.corrupt = parser.problem;
        break;
      }
      at = next;
      if (parser.packet) {
        stats.packets++;
        yield parser.packet;
      }
    }
  } finally {
    if (parser) finish(parser, stats);
    await fh.close();
  }
  return stats;
}
