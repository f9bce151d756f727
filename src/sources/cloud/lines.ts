// Cuts a byte stream into lines without copying them: each complete line is handed on as a
// range of the chunk it arrived in. Only a line split across two chunks is copied (once).

export type LineHandler = (buf: Uint8Array, start: number, end: number, lineNo: number) => void;

export class LineSplitter {
  private carry: Buffer | undefined;
  private lineNo = 0;
  /** Inside a line longer than the limit: its bytes are dropped until the next newline. */
  private skipping = false;

  /**
   * `maxLine` bounds memory for input that never ends a line; a longer line is reported to
   * `onTooLong` (with its number) and skipped.
   */
  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLine = 64 * 1024 * 1024,
    private readonly onTooLong: (lineNo: number) => void = () => {},
  ) {}

  /** Lines handed on so far. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) return;
      this.skipping = false;
      pos = nl + 1;
    } else if (this.carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        if (this.carry.length + chunk.length > this.maxLine) return this.tooLong();
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = undefined;
      this.emit(joined, 0, joined.length);
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) break;
      this.emit(chunk, pos, nl);
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      if (chunk.length - pos > this.maxLine) return this.tooLong();
      this.carry = Buffer.from(chunk.subarray(pos));
    }
  }

  private tooLong(): void {
    this.carry = undefined;
    this.skipping = true;
    this.onTooLong(++this.lineNo);
  }

  /** Hands on a last line that had no newline. */
  end(): void {
    this.skipping = false;
    if (this.carry) {
      const c = this.carry;
      this.carry = undefined;
      this.emit(c, 0, c.length);
    }
  }

  private emit(buf: Uint8Array, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === 13) e--;
    this.onLine(buf, s, e, this.lineNo);
  }
}
