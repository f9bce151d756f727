// Files on a local (or mounted) file system: JSON lines, CSV, AWS text, ECS, OCSF or Parquet,
// optionally gzip'd, in Hive-style time partitions, rotated by size and age.
//
// Text files grow batch by batch under a `.part` name and are renamed when rotated. A journal
// in the sink's state directory records, after each batch is fsync'd, the last batch written
// and the length of every open file; after a crash, files are cut back to those lengths and
// batches already written are skipped, so a record never appears twice. Parquet files hold
// one batch each, named after it and written atomically, so writing a batch again replaces
// the same file.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { z } from 'zod';
import { fsyncDir, mkdirDurable, writeFileDurable } from '../../util/durable.js';
import { commonSettings, byteSize } from '../config.js';
import type { DeliveryBatch, Destination, DestinationContext } from '../destination.js';
import { encodeLines, encodeParquetFile, FILE_FORMATS, textFormat, type TextFormat } from '../formats/index.js';
import type { SinkType } from '../registry-types.js';
import { groupByPartition } from './partitions.js';

export const filesSettings = z
  .object({
    type: z.literal('files'),
    ...commonSettings,
    /** Directory the files go to (created if missing). */
    path: z.string().min(1),
    format: z.enum(FILE_FORMATS).default('json'),
    gzip: z.boolean().default(false),
    partition: z.enum(['hour', 'day', 'none']).default('hour'),
    /** File names start with this. */
    prefix: z.string().regex(/^[A-Za-z0-9._-]+$/).default('flows'),
    rotate_bytes: byteSize.default(128 << 20),
    rotate_seconds: z.number().int().min(1).default(300),
  })
  .strict();
export type FilesSettings = z.infer<typeof filesSettings>;

interface OpenFile {
  /** Relative to the output directory, without `.part`. */
  rel: string;
  fh: fsp.FileHandle;
  size: number;
  opened: number;
  /** Closed, but not yet renamed to its final name (the rename failed and is retried). */
  closed: boolean;
}

interface Journal {
  delivered: number;
  epoch: string;
  open: { rel: string; size: number; opened: number }[];
}

const PART = '.part';

function batchTag(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

export class FilesDestination implements Destination {
  private readonly out: string;
  private readonly fmt: TextFormat | undefined;
  private readonly open = new Map<string, OpenFile>();
  private journal: Journal = { delivered: 0, epoch: '', open: [] };
  private readonly journalFile: string;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly s: FilesSettings,
    private readonly ctx: DestinationContext,
  ) {
    this.out = path.resolve(s.path);
    this.fmt = s.format === 'parquet' ? undefined : textFormat(s.format, s.format_options);
    this.journalFile = path.join(ctx.stateDir, 'files-journal.json');
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => {});
    return p;
  }

  async start(): Promise<void> {
    await fsp.mkdir(this.out, { recursive: true });
    await fsp.mkdir(this.ctx.stateDir, { recursive: true });
    try {
      this.journal = JSON.parse(await fsp.readFile(this.journalFile, 'utf8')) as Journal;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // Cut open files back to what the journal says was complete, and finish them; `.part`
    // files the journal does not know were started by a batch that was never recorded.
    const known = new Map(this.journal.open.map((o) => [o.rel, o.size]));
    for (const part of await findParts(this.out)) {
      const rel = path.relative(this.out, part).slice(0, -PART.length);
      const size = known.get(rel);
      if (size === undefined) {
        await fsp.rm(part, { force: true });
        continue;
      }
      const fh = await fsp.open(part, 'r+');
      if ((await fh.stat()).size > size) await fh.truncate(size);
      await fh.sync();
      await fh.close();
      if (size === 0) await fsp.rm(part, { force: true });
      else await fsp.rename(part, path.join(this.out, rel));
    }
    this.journal.open = [];
    await this.saveJournal();
    this.timer = setInterval(() => void this.serial(() => this.rotateAged()).catch((e: unknown) => this.ctx.log.error({ err: e }, 'rotating files failed')), 250);
    this.timer.unref();
  }

  deliver(batch: DeliveryBatch): Promise<void> {
    return this.serial(() => this.write(batch));
  }

  private async write(batch: DeliveryBatch): Promise<void> {
    // Written before (the journal is saved after the data is durable): skip.
    if (this.journal.epoch === epochOf(batch.id) && batch.seq <= this.journal.delivered) return;
    const groups = groupByPartition(batch.records, this.s.partition);
    if (!this.fmt) {
      for (const [part, rows] of groups) {
        const dir = path.join(this.out, part);
        await mkdirDurable(dir);
        const file = path.join(dir, `${this.s.prefix}-${batchTag(batch.id)}.parquet`);
        await writeFileDurable(file, encodeParquetFile(batch.records, rows, { flowlogs_batch: batch.id }));
      }
    } else {
      const touched = new Map<OpenFile, number>();
      try {
        for (const [part, rows] of groups) {
          const f = await this.fileFor(part, batch.id);
          touched.set(f, f.size);
          let bufs = encodeLines(this.fmt, batch.records, batch.id, rows, f.size === 0);
          if (this.s.gzip) bufs = [zlib.gzipSync(Buffer.concat(bufs), { level: 1 })];
          for (const b of bufs) {
            let off = 0;
            while (off < b.length) {
              const { bytesWritten } = await f.fh.write(b, off, b.length - off, f.size);
              off += bytesWritten;
              f.size += bytesWritten;
            }
          }
        }
        for (const f of touched.keys()) await f.fh.datasync();
      } catch (e) {
        // Writes are positional: the retry overwrites from where this batch began.
        for (const [f, size] of touched) {
          f.size = size;
          await f.fh.truncate(size).catch(() => {});
        }
        throw e;
      }
    }
    this.journal.delivered = batch.seq;
    this.journal.epoch = epochOf(batch.id);
    await this.saveJournal();
    let rotated = false;
    for (const f of [...this.open.values()]) {
      if (f.size >= this.s.rotate_bytes || f.closed) {
        await this.finish(f);
        rotated = true;
      }
    }
    if (rotated) await this.saveJournal();
  }

  private async fileFor(part: string, batchId: string): Promise<OpenFile> {
    let f = this.open.get(part);
    if (f?.closed) await this.finish(f);
    else if (f) return f;
    const dir = path.join(this.out, part);
    await mkdirDurable(dir);
    const ext = this.fmt!.extension + (this.s.gzip ? '.gz' : '');
    const rel = path.join(part, `${this.s.prefix}-${batchTag(batchId)}.${ext}`);
    const fh = await fsp.open(path.join(this.out, rel + PART), 'w');
    await fsyncDir(dir);
    f = { rel, fh, size: 0, opened: Date.now(), closed: false };
    this.open.set(part, f);
    return f;
  }

  /** Closes a file and gives it its final name; it stays in the journal until both are done. */
  private async finish(f: OpenFile): Promise<void> {
    if (!f.closed) {
      await f.fh.sync();
      await f.fh.close();
      f.closed = true;
    }
    const final = path.join(this.out, f.rel);
    await fsp.rename(final + PART, final);
    await fsyncDir(path.dirname(final));
    for (const [k, v] of this.open) if (v === f) this.open.delete(k);
  }

  private async rotateAged(): Promise<void> {
    const now = Date.now();
    let any = false;
    for (const f of [...this.open.values()]) {
      if (f.closed || now - f.opened >= this.s.rotate_seconds * 1000) {
        await this.finish(f);
        any = true;
      }
    }
    if (any) await this.saveJournal();
  }

  private async saveJournal(): Promise<void> {
    this.journal.open = [...this.open.values()].map((f) => ({ rel: f.rel, size: f.size, opened: f.opened }));
    await writeFileDurable(this.journalFile, JSON.stringify(this.journal) + '\n', { syncDir: false });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.serial(async () => {
      for (const f of [...this.open.values()]) await this.finish(f);
      await this.saveJournal();
    });
  }
}

function epochOf(batchId: string): string {
  // `<sink>-<epoch>-<seq>`: the epoch is the second part from the end.
  const parts = batchId.split('-');
  return parts[parts.length - 2] ?? '';
}

async function findParts(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(PART)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

export const filesSink: SinkType<FilesSettings> = {
  type: 'files',
  schema: filesSettings,
  batchDefaults: (s) => (s.format === 'parquet' ? { max_records: 1 << 20, max_wait_ms: 60_000 } : { max_records: 65_536, max_wait_ms: 1000 }),
  create: (s, ctx) => new FilesDestination(s, ctx),
};
