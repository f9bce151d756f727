// Datagrams travel from the receiving thread to a decoder thread packed into one transferable
// buffer (no copy on the way, one message per few hundred datagrams): per datagram a 32-byte
// header (length, port, receive time, exporter address) and the payload padded to 4 bytes.

export const HEADER_BYTES = 32;
export const CHUNK_BYTES = 256 * 1024;

export class ChunkWriter {
  buf = new ArrayBuffer(CHUNK_BYTES);
  u8 = new Uint8Array(this.buf);
  view = new DataView(this.buf);
  len = 0;
  count = 0;

  /** False when the datagram does not fit: send this chunk and start another. */
  add(payload: Uint8Array, exporter: Uint32Array, port: number, tsMs: number): boolean {
    const need = HEADER_BYTES + ((payload.length + 3) & ~3);
    if (this.len + need > this.buf.byteLength) {
      if (this.len === 0) return this.addOversized(payload, exporter, port, tsMs);
      return false;
    }
    const v = this.view;
    const o = this.len;
    v.setUint32(o, payload.length, true);
    v.setUint32(o + 4, port, true);
    v.setFloat64(o + 8, tsMs, true);
    v.setUint32(o + 16, exporter[0], true);
    v.setUint32(o + 20, exporter[1], true);
    v.setUint32(o + 24, exporter[2], true);
    v.setUint32(o + 28, exporter[3], true);
    this.u8.set(payload, o + HEADER_BYTES);
    this.len += need;
    this.count++;
    return true;
  }

  /** A datagram larger than a chunk (jumbo IPv6) gets a chunk of its own size. */
  private addOversized(payload: Uint8Array, exporter: Uint32Array, port: number, tsMs: number): boolean {
    this.buf = new ArrayBuffer(HEADER_BYTES + ((payload.length + 3) & ~3));
    this.u8 = new Uint8Array(this.buf);
    this.view = new DataView(this.buf);
    return this.add(payload, exporter, port, tsMs);
  }

  /** Hands the filled buffer over and starts an empty one. */
  take(): { buf: ArrayBuffer; len: number; count: number } {
    const out = { buf: this.buf, len: this.len, count: this.count };
    this.buf = new ArrayBuffer(CHUNK_BYTES);
    this.u8 = new Uint8Array(this.buf);
    this.view = new DataView(this.buf);
    this.len = 0;
    this.count = 0;
    return out;
  }
}

/** Calls `fn` for each datagram in a chunk; `exporter` is reused between calls. */
export function forEachDatagram(buf: ArrayBuffer, len: number, fn: (payload: Uint8Array, exporter: Uint32Array, port: number, tsMs: number) => void): void {
  const v = new DataView(buf);
  const u8 = new Uint8Array(buf);
  const exporter = new Uint32Array(4);
  for (let o = 0; o + HEADER_BYTES <= len; ) {
    const n = v.getUint32(o, true);
    const port = v.getUint32(o + 4, true);
    const ts = v.getFloat64(o + 8, true);
    exporter[0] = v.getUint32(o + 16, true);
    exporter[1] = v.getUint32(o + 20, true);
    exporter[2] = v.getUint32(o + 24, true);
    exporter[3] = v.getUint32(o + 28, true);
    fn(u8.subarray(o + HEADER_BYTES, o + HEADER_BYTES + n), exporter, port, ts);
    o += HEADER_BYTES + ((n + 3) & ~3);
  }
}
