// A sink's disk queue: an append-only log of entries (one entry = one delivery batch) in
// segment files, made durable in groups (one write + fsync for everything appended since the
// last flush), read back strictly in order and deleted segment by segment once delivered.
// A cursor file remembers how far delivery got, so a restart resumes with the first entry
// not yet delivered; entry sequence numbers never repeat within a queue, which is what makes
// them usable as batch ids for deduplication at the target.
//
// Entry layout (little-endian): magic u32 | body length u32 | crc32 u32 (over the rest of the
// header and the body) | rows u32 | chunks u32 | reserved u32 | seq f64 | arrival ms f64 | body

import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fsyncDir, writeFileDurable } from '../../util/durable.js';
import { silentLogger, type Logger } from '../../util/log.js';

export const ENTRY_HEADER = 40;
const MAGIC = 0x45514c46; // "FLQE"
const SEGMENT_RE = /^seg-(\d{20})\.log$/;

export type FullPolicy = 'drop-oldest' | 'refuse-newest';

export interface QueueOptions {
  /** Cap on queued bytes (entries not yet delivered, on disk and waiting to be written). */
  maxBytes: number;
  /** Fraction of the cap at which the alarm goes on. */
  alarmRatio: number;
  whenFull: FullPolicy;
  /** A new segment file is started once the current one reaches this size. */
  segmentBytes: number;
  /** How often (at most) the delivery cursor is written. */
  cursorSyncMs: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  maxBytes: 1 << 30,
  alarmRatio: 0.8,
  whenFull: 'drop-oldest',
  segmentBytes: 64 << 20,
  cursorSyncMs: 1000,
};

export interface QueueEvents {
  /** Records given up because the queue was full. */
  dropped?(rows: number, reason: 'oldest' | 'newest'): void;
  alarm?(on: boolean, queuedBytes: number): void;
  /** Entries found damaged (torn write at a crash, bad checksum) and skipped. */
  corrupt?(entries: number, detail: string): void;
}

interface Segment {
  firstSeq: number;
  file: string;
  size: number;
  /** Entries in this file still to deliver. */
  live: number;
  fh?: fsp.FileHandle;
}

export interface QueueEntry {
  readonly seq: number;
  readonly rows: number;
  readonly chunks: number;
  readonly arrivalMs: number;
  /** Header and body. */
  readonly bytes: number;
  readonly segment: Segment;
  readonly offset: number;
}

interface Pending {
  seq: number;
  header: Uint8Array;
  body: Uint8Array;
  rows: number;
  chunks: number;
  arrivalMs: number;
}

export class CorruptEntryError extends Error {
  override readonly name = 'CorruptEntryError';
}

function segName(seq: number): string {
  return `seg-${String(seq).padStart(20, '0')}.log`;
}

function header(seq: number, rows: number, chunks: number, arrivalMs: number, body: Uint8Array): Uint8Array {
  const h = new Uint8Array(ENTRY_HEADER);
  const v = new DataView(h.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, body.length, true);
  v.setUint32(12, rows, true);
  v.setUint32(16, chunks, true);
  v.setFloat64(24, seq, true);
  v.setFloat64(32, arrivalMs, true);
  v.setUint32(8, zlib.crc32(body, zlib.crc32(h.subarray(12))), true);
  return h;
}

export class DiskQueue {
  /** Random per queue directory: batch ids stay unique even if a queue is deleted and recreated. */
  readonly epoch: string;
  private readonly segments: Segment[] = [];
  /** Durable entries not yet delivered, oldest first. */
  private readonly index: QueueEntry[] = [];
  private head = 0;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private indexBytes = 0;
  private indexRows = 0;
  private pendingRows = 0;
  private nextSeq: number;
  private lastDurableSeq: number;
  private inFlight: QueueEntry | undefined;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;
  private waiters: (() => void)[] = [];
  private cursorWritten: number;
  private cursorTimer: NodeJS.Timeout | undefined;
  private cursorWrite: Promise<void> | undefined;
  private alarmOn = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly opts: QueueOptions,
    private readonly events: QueueEvents,
    private readonly log: Logger,
    epoch: string,
    cursor: number,
  ) {
    this.epoch = epoch;
    this.nextSeq = cursor + 1;
    this.lastDurableSeq = cursor;
    this.cursorWritten = cursor;
  }

  static async open(dir: string, opts: Partial<QueueOptions> = {}, events: QueueEvents = {}, log: Logger = silentLogger): Promise<DiskQueue> {
    const o = { ...DEFAULT_QUEUE_OPTIONS, ...opts };
    await fsp.mkdir(dir, { recursive: true });
    const metaFile = path.join(dir, 'queue.json');
    let epoch: string;
    try {
      epoch = (JSON.parse(await fsp.readFile(metaFile, 'utf8')) as { epoch: string }).epoch;
      if (typeof epoch !== 'string' || !/^[0-9a-f]{8,32}$/.test(epoch)) throw new Error(`${metaFile}: no valid epoch`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      epoch = randomBytes(6).toString('hex');
      await writeFileDurable(metaFile, JSON.stringify({ format: 'flowlogs-sink-queue', version: 1, epoch, created: new Date().toISOString() }) + '\n');
    }
    let cursor = 0;
    try {
      cursor = (JSON.parse(await fsp.readFile(path.join(dir, 'cursor.json'), 'utf8')) as { delivered: number }).delivered;
      if (!Number.isSafeInteger(cursor) || cursor < 0) cursor = 0;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
    }
    const q = new DiskQueue(dir, o, events, log, epoch, cursor);
    await q.recover(cursor);
    return q;
  }

  /** Rebuilds the index from the segment files; truncates a torn tail left by a crash. */
  private async recover(cursor: number): Promise<void> {
    const names = (await fsp.readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const n of await fsp.readdir(this.dir)) if (n.endsWith('.tmp') || /\.tmp-\d+-\d+$/.test(n)) await fsp.rm(path.join(this.dir, n), { force: true });
    let maxSeq = cursor;
    for (let i = 0; i < names.length; i++) {
      const file = path.join(this.dir, names[i]);
      const seg: Segment = { firstSeq: Number(SEGMENT_RE.exec(names[i])![1]), file, size: 0, live: 0 };
      const fh = await fsp.open(file, 'r+');
      const size = (await fh.stat()).size;
      const last = i === names.length - 1;
      let off = 0;
      const h = new Uint8Array(ENTRY_HEADER);
      const hv = new DataView(h.buffer);
      let bad = '';
      while (off < size) {
        if (size - off < ENTRY_HEADER) {
          bad = 'torn entry header';
          break;
        }
        await fh.read(h, 0, ENTRY_HEADER, off);
        const bodyLen = hv.getUint32(4, true);
        if (hv.getUint32(0, true) !== MAGIC) {
          bad = 'bad entry marker';
          break;
        }
        if (off + ENTRY_HEADER + bodyLen > size) {
          bad = 'torn entry body';
          break;
        }
        const seq = hv.getFloat64(24, true);
        // The last segment may end in a half-written group: check every checksum there.
        if (last) {
          const body = new Uint8Array(bodyLen);
          await fh.read(body, 0, bodyLen, off + ENTRY_HEADER);
          if (zlib.crc32(body, zlib.crc32(h.subarray(12))) !== hv.getUint32(8, true)) {
            bad = 'checksum mismatch';
            break;
          }
        }
        if (seq > maxSeq) maxSeq = seq;
        if (seq > cursor) {
          const e: QueueEntry = { seq, rows: hv.getUint32(12, true), chunks: hv.getUint32(16, true), arrivalMs: hv.getFloat64(32, true), bytes: ENTRY_HEADER + bodyLen, segment: seg, offset: off };
          this.index.push(e);
          this.indexBytes += e.bytes;
          this.indexRows += e.rows;
          seg.live++;
        }
        off += ENTRY_HEADER + bodyLen;
      }
      if (bad) {
        this.log.warn({ file, offset: off, size, problem: bad }, 'sink queue: damaged tail cut off (written during a crash)');
        this.events.corrupt?.(1, `${path.basename(file)} at ${off}: ${bad}`);
        await fh.truncate(off);
        await fh.sync();
      }
      seg.size = off;
      await fh.close();
      if (seg.live === 0 && !last) await fsp.rm(file, { force: true });
      else this.segments.push(seg);
    }
    this.nextSeq = maxSeq + 1;
    this.lastDurableSeq = maxSeq;
    this.updateAlarm();
  }

  /** The sequence number of the newest entry appended (0 when none ever was). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Bytes waiting for delivery: durable entries plus those not yet written. */
  get queuedBytes(): number {
    return this.indexBytes + this.pendingBytes;
  }

  get queuedRows(): number {
    return this.indexRows + this.pendingRows;
  }

  get queuedEntries(): number {
    return this.index.length - this.head + this.pending.length;
  }

  /** Arrival time of the oldest record not yet delivered, or undefined. */
  get oldestArrivalMs(): number | undefined {
    if (this.head < this.index.length) return this.index[this.head].arrivalMs;
    return this.pending[0]?.arrivalMs;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /**
   * Makes room for `bytes` more under the cap, following the full policy. Returns false when
   * the newest data must be refused (policy refuse-newest, or nothing left to drop).
   */
  makeRoom(bytes: number): boolean {
    const cap = this.opts.maxBytes;
    if (this.queuedBytes + bytes <= cap) return true;
    if (this.opts.whenFull === 'refuse-newest') return false;
    let droppedRows = 0;
    // Oldest first: durable entries (except one being delivered), then unwritten ones.
    let i = this.head;
    while (this.queuedBytes + bytes > cap) {
      if (i < this.index.length) {
        const e = this.index[i];
        if (e === this.inFlight) {
          i++;
          continue;
        }
        this.index.splice(i, 1);
        this.indexBytes -= e.bytes;
        this.indexRows -= e.rows;
        droppedRows += e.rows;
        this.finishInSegment(e.segment);
      } else if (this.pending.length) {
        const p = this.pending.shift()!;
        this.pendingBytes -= p.header.length + p.body.length;
        this.pendingRows -= p.rows;
        droppedRows += p.rows;
      } else break;
    }
    this.compactIndex();
    if (droppedRows) this.events.dropped?.(droppedRows, 'oldest');
    this.scheduleCursor();
    return this.queuedBytes + bytes <= cap;
  }

  /** Queues an entry (made durable by the next flush). Returns its sequence number. */
  append(body: Uint8Array, rows: number, chunks: number, arrivalMs: number): number {
    if (this.closed) throw new Error('sink queue is closed');
    const seq = this.nextSeq++;
    const h = header(seq, rows, chunks, arrivalMs, body);
    this.pending.push({ seq, header: h, body, rows, chunks, arrivalMs });
    this.pendingBytes += h.length + body.length;
    this.pendingRows += rows;
    this.updateAlarm();
    return seq;
  }

  /** Writes and fsyncs everything appended so far; concurrent calls share the work. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    if (this.pending.length === 0) return Promise.resolve();
    this.flushing = this.writePending().finally(() => {
      this.flushing = undefined;
      if (this.flushAgain) {
        this.flushAgain = false;
        void this.flush().catch(() => {});
      }
    });
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    while (this.pending.length) {
      let seg = this.segments[this.segments.length - 1];
      const next = this.pending[0].header.length + this.pending[0].body.length;
      if (!seg || (seg.size > 0 && seg.size + next > this.opts.segmentBytes)) {
        if (seg?.fh) {
          await seg.fh.close();
          seg.fh = undefined;
        }
        const first = this.pending[0].seq;
        seg = { firstSeq: first, file: path.join(this.dir, segName(first)), size: 0, live: 0 };
        seg.fh = await fsp.open(seg.file, 'wx+');
        await fsyncDir(this.dir);
        this.segments.push(seg);
      }
      seg.fh ??= await fsp.open(seg.file, 'r+');
      // One group: as many pending entries as fit in this segment.
      const group: Pending[] = [];
      let bytes = 0;
      for (const p of this.pending) {
        if (group.length && seg.size + bytes + p.header.length + p.body.length > this.opts.segmentBytes) break;
        group.push(p);
        bytes += p.header.length + p.body.length;
      }
      const buffers: Uint8Array[] = [];
      for (const p of group) buffers.push(p.header, p.body);
      let written = 0;
      while (written < bytes) {
        const r = await seg.fh.writev(buffers, seg.size + written);
        written += r.bytesWritten;
        if (written < bytes) {
          // Short write: continue with what is left.
          let skip = r.bytesWritten;
          while (skip > 0 && buffers.length) {
            if (buffers[0].length <= skip) skip -= buffers.shift()!.length;
            else {
              buffers[0] = buffers[0].subarray(skip);
              skip = 0;
            }
          }
        }
      }
      await seg.fh.datasync();
      // The group is durable. Entries dropped from `pending` meanwhile (queue full) were
      // written anyway: index only those still pending, in order.
      let off = seg.size;
      const still = new Set(this.pending);
      const inGroup = new Set(group);
      for (const p of group) {
        const size = p.header.length + p.body.length;
        if (still.has(p)) {
          const e: QueueEntry = { seq: p.seq, rows: p.rows, chunks: p.chunks, arrivalMs: p.arrivalMs, bytes: size, segment: seg, offset: off };
          this.index.push(e);
          this.indexBytes += size;
          this.indexRows += p.rows;
          seg.live++;
          this.pendingBytes -= size;
          this.pendingRows -= p.rows;
        }
        off += size;
        if (p.seq > this.lastDurableSeq) this.lastDurableSeq = p.seq;
      }
      seg.size = off;
      this.pending = this.pending.filter((p) => !inGroup.has(p));
      const w = this.waiters;
      this.waiters = [];
      for (const r of w) r();
    }
  }

  /** The oldest undelivered durable entry (the same one until it is acknowledged). */
  peek(): QueueEntry | undefined {
    const e = this.index[this.head];
    if (e) this.inFlight = e;
    return e;
  }

  /** Resolves when a durable entry is available (or the queue closes). */
  whenReady(): Promise<void> {
    if (this.head < this.index.length || this.closed) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Reads an entry's body, checking that it is the entry the index says. */
  async read(e: QueueEntry): Promise<Uint8Array> {
    const seg = e.segment;
    seg.fh ??= await fsp.open(seg.file, 'r+');
    const buf = new Uint8Array(e.bytes);
    const { bytesRead } = await seg.fh.read(buf, 0, e.bytes, e.offset);
    const v = new DataView(buf.buffer);
    if (bytesRead !== e.bytes || v.getUint32(0, true) !== MAGIC || v.getFloat64(24, true) !== e.seq) throw new CorruptEntryError(`${seg.file} at ${e.offset}: entry ${e.seq} unreadable`);
    const body = buf.subarray(ENTRY_HEADER);
    if (zlib.crc32(body, zlib.crc32(buf.subarray(12, ENTRY_HEADER))) !== v.getUint32(8, true)) throw new CorruptEntryError(`${seg.file} at ${e.offset}: entry ${e.seq} checksum mismatch`);
    return body;
  }

  /** The entry returned by peek() is done with (delivered, or given up as corrupt). */
  ack(e: QueueEntry): void {
    const i = this.index.indexOf(e, this.head);
    if (i < 0) return;
    if (i === this.head) this.head++;
    else this.index.splice(i, 1);
    if (this.inFlight === e) this.inFlight = undefined;
    this.indexBytes -= e.bytes;
    this.indexRows -= e.rows;
    this.finishInSegment(e.segment);
    this.compactIndex();
    this.updateAlarm();
    this.scheduleCursor();
  }

  private compactIndex(): void {
    if (this.head > 1024 || this.head === this.index.length) {
      this.index.splice(0, this.head);
      this.head = 0;
    }
  }

  private finishInSegment(seg: Segment): void {
    seg.live--;
    const active = this.segments[this.segments.length - 1];
    if (seg.live <= 0 && seg !== active) this.removeSegment(seg);
  }

  private removeSegment(seg: Segment): void {
    const i = this.segments.indexOf(seg);
    if (i >= 0) this.segments.splice(i, 1);
    const fh = seg.fh;
    seg.fh = undefined;
    void (async () => {
      await fh?.close().catch(() => {});
      await fsp.rm(seg.file, { force: true });
    })().catch((e: unknown) => this.log.warn({ err: e, file: seg.file }, 'sink queue: could not remove a delivered segment'));
  }

  /** Everything at or below this sequence number is delivered or given up. */
  get deliveredThrough(): number {
    if (this.head < this.index.length) return this.index[this.head].seq - 1;
    return this.pending.length ? this.pending[0].seq - 1 : this.lastDurableSeq;
  }

  private scheduleCursor(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      void this.writeCursor().catch((e: unknown) => this.log.error({ err: e, dir: this.dir }, 'sink queue: writing the cursor failed'));
    }, this.opts.cursorSyncMs);
    this.cursorTimer.unref();
  }

  private async writeCursor(): Promise<void> {
    while (this.cursorWrite) await this.cursorWrite;
    const through = this.deliveredThrough;
    if (through === this.cursorWritten) return;
    this.cursorWrite = writeFileDurable(path.join(this.dir, 'cursor.json'), JSON.stringify({ delivered: through }) + '\n', { syncDir: false });
    try {
      await this.cursorWrite;
      this.cursorWritten = through;
    } finally {
      this.cursorWrite = undefined;
    }
  }

  private updateAlarm(): void {
    const on = this.queuedBytes >= this.opts.maxBytes * this.opts.alarmRatio;
    // A little hysteresis, so a queue hovering at the threshold does not flap.
    const off = this.queuedBytes < this.opts.maxBytes * Math.max(0, this.opts.alarmRatio - 0.05);
    if (on && !this.alarmOn) {
      this.alarmOn = true;
      this.events.alarm?.(true, this.queuedBytes);
    } else if (off && this.alarmOn) {
      this.alarmOn = false;
      this.events.alarm?.(false, this.queuedBytes);
    }
  }

  get alarm(): boolean {
    return this.alarmOn;
  }

  /** Flushes what is pending, writes the cursor and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
      while (this.flushing) await this.flushing;
    } finally {
      this.closed = true;
      if (this.cursorTimer) clearTimeout(this.cursorTimer);
      this.cursorTimer = undefined;
      await this.writeCursor();
      for (const s of this.segments) {
        await s.fh?.close().catch(() => {});
        s.fh = undefined;
      }
      for (const r of this.waiters.splice(0)) r();
    }
  }
}
