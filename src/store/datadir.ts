// The data directory: recognising our own, refusing anyone else's, and one writer at a time.
// Everything durable lives under it (flow segments, the manifest, flow-log objects, queues),
// so a mistake here would be silent loss; every refusal names the directory and the reason.

import fs from 'node:fs';
import path from 'node:path';
import { InputError, errorMessage } from '../util/errors.js';

export const DATA_FORMAT = 'flowlogs-data';
export const LAYOUT_VERSION = 1;
const MARKER = 'flowlogs.json';
const LOCK = 'LOCK';

export interface DataDirMarker {
  format: string;
  layout: number;
  created: string;
}

export class DataDir {
  constructor(readonly root: string) {}

  path(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  get flows(): string {
    return this.path('flows');
  }
}

function readMarker(root: string): DataDirMarker | undefined {
  const file = path.join(root, MARKER);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${file}: cannot read (${errorMessage(e)})`);
  }
  let m: DataDirMarker;
  try {
    m = JSON.parse(text) as DataDirMarker;
  } catch {
    throw new InputError(`${file}: corrupt marker file (not JSON); ${root} cannot be used as a data directory until it is repaired or moved aside`);
  }
  if (m?.format !== DATA_FORMAT) throw new InputError(`${root} is not a flowlogs data directory (${MARKER} says format '${String(m?.format)}')`);
  if (typeof m.layout !== 'number' || m.layout > LAYOUT_VERSION)
    throw new InputError(`${root} was written by a newer flowlogs (layout ${String(m.layout)}, this version reads up to ${LAYOUT_VERSION})`);
  return m;
}

/**
 * Opens (and with `create`, initialises) a data directory. Refuses a directory that holds
 * other files but no marker: it belongs to someone else and we must not write into it.
 */
export function openDataDir(root: string, opts: { create: boolean }): DataDir {
  const abs = path.resolve(root);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) throw new InputError(`data directory ${abs} is not a directory`);
  if (!st) {
    if (!opts.create) throw new InputError(`data directory ${abs} does not exist (start 'flowlogs serve --data ${root}' or import something first)`);
    fs.mkdirSync(abs, { recursive: true });
  }
  const marker = readMarker(abs);
  if (!marker) {
    const entries = fs.readdirSync(abs).filter((e) => !e.startsWith('.'));
    if (entries.length > 0)
      throw new InputError(`${abs} is not a flowlogs data directory: it holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}) and no ${MARKER}; choose an empty or new --data directory`);
    if (!opts.create) throw new InputError(`data directory ${abs} is empty: nothing has been stored there yet`);
    const m: DataDirMarker = { format: DATA_FORMAT, layout: LAYOUT_VERSION, created: new Date().toISOString() };
    const tmp = path.join(abs, `${MARKER}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n');
    fs.renameSync(tmp, path.join(abs, MARKER));
  }
  return new DataDir(abs);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The single-writer lock: compaction, retention and migration belong to one process. */
export class WriterLock {
  private held = false;

  constructor(private readonly dir: DataDir) {}

  /** Takes the lock or throws naming the process that holds it; a dead holder's lock is taken over. */
  acquire(): void {
    const file = this.dir.path(LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx');
        fs.writeSync(fd, `${process.pid}\n`);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
        throw new InputError(`data directory ${this.dir.root} is in use by flowlogs process ${pid}`);
      fs.rmSync(file, { force: true });
    }
    throw new InputError(`data directory ${this.dir.root}: could not take the writer lock`);
  }

  /** True when another live process holds the lock (readers use this to stay out of its way). */
  static heldByOther(dir: DataDir): number | undefined {
    try {
      const pid = Number(fs.readFileSync(dir.path(LOCK), 'utf8').trim());
      return pid !== process.pid && processAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  release(): void {
    if (!this.held) return;
    fs.rmSync(this.dir.path(LOCK), { force: true });
    this.held = false;
  }
}
