// The record of what has been imported into a data directory (imports.jsonl), keyed by the
// SHA-256 of each file's content. A file is `pending` from the moment its first records may
// reach the store until all of them are durable; then it is `done`. Each change is one line
// appended and fsynced before the caller goes on, so the cost stays flat however many files
// were imported before; a line torn by a crash was never acknowledged and is ignored.

import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../../util/durable.js';
import { InputError } from '../../util/errors.js';

export interface ImportedFile {
  path: string;
  format: string;
  records: number;
  lines: number;
  errors: number;
  imported: string;
}

export interface PendingFile {
  path: string;
  /** Value stamped into every record's flow_log_id, to count what already reached the store. */
  tag: string;
  started: string;
}

type Entry = ({ event: 'begin'; hash: string } & PendingFile) | ({ event: 'done'; hash: string } & ImportedFile);

export const LEDGER_FILE = 'imports.jsonl';

/** The flow_log_id that records of an imported file carry. */
export function importTag(sha256: string): string {
  return `import:${sha256.slice(0, 16)}`;
}

export class ImportLedger {
  private readonly files = new Map<string, ImportedFile>();
  private readonly pendings = new Map<string, PendingFile>();
  private fd: number | undefined;
  /** Byte length of the intact part when the last line was torn by a crash. */
  private intact: number | undefined;

  private constructor(private readonly file: string) {}

  static open(file: string): ImportLedger {
    const l = new ImportLedger(file);
    let raw = Buffer.alloc(0);
    try {
      raw = fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (raw.length > 0 && raw[raw.length - 1] !== 10) l.intact = raw.lastIndexOf(10) + 1;
    const text = raw.toString('utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let e: Entry;
      try {
        e = JSON.parse(line) as Entry;
      } catch {
        // Only the last line can be torn by a crash; anything else is damage.
        if (i >= lines.length - 2) return;
        throw new InputError(`${file}:${i + 1}: corrupt entry; repair or move the file aside (files would then be imported again)`);
      }
      l.apply(e);
    });
    return l;
  }

  private apply(e: Entry): void {
    if (e.event === 'begin') {
      this.pendings.set(e.hash, { path: e.path, tag: e.tag, started: e.started });
    } else if (e.event === 'done') {
      this.pendings.delete(e.hash);
      this.files.set(e.hash, { path: e.path, format: e.format, records: e.records, lines: e.lines, errors: e.errors, imported: e.imported });
    }
  }

  done(hash: string): ImportedFile | undefined {
    return this.files.get(hash);
  }

  pending(hash: string): PendingFile | undefined {
    return this.pendings.get(hash);
  }

  get importedCount(): number {
    return this.files.size;
  }

  /** Marks a file as started; durable before it returns, so before any record is written. */
  async begin(hash: string, filePath: string): Promise<PendingFile> {
    const p: PendingFile = { path: filePath, tag: importTag(hash), started: new Date().toISOString() };
    await this.append({ event: 'begin', hash, ...p });
    return p;
  }

  /** Marks a file as fully imported; call only once all its records are durable. */
  async finish(hash: string, entry: ImportedFile): Promise<void> {
    await this.append({ event: 'done', hash, ...entry });
  }

  private async append(e: Entry): Promise<void> {
    if (this.fd === undefined) {
      const existed = fs.existsSync(this.file);
      // New lines must not be glued onto a torn one.
      if (this.intact !== undefined) fs.truncateSync(this.file, this.intact);
      this.fd = fs.openSync(this.file, 'a');
      if (!existed) await fsyncDir(path.dirname(this.file));
    }
    const fd = this.fd;
    await new Promise<void>((resolve, reject) => fs.write(fd, JSON.stringify(e) + '\n', (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.apply(e);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
