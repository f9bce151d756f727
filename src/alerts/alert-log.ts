// Alerts on disk: one append-only JSON-lines file in the data directory (alerts/alerts.jsonl).
// The service appends the state of each changed alert ("put", with a revision); status changes
// (acknowledge, resolve) are lines of their own ("status"), so the CLI can append them while
// the service runs and neither overwrites the other's change. Reading folds the lines: the
// newest put per alert, with the status of its newest status line. Every append is fsynced
// before it is acknowledged. Compaction rewrites the file with one put and one status line
// per alert, under a lock file that appenders also take.

import fs from 'node:fs';
import path from 'node:path';
import type { Alert, AlertStatus } from './alert.js';
import { errorMessage } from '../util/errors.js';
import { fsyncDir, writeFileDurable } from '../util/durable.js';

export const ALERTS_DIR = 'alerts';
export const ALERTS_FILE = 'alerts.jsonl';
const LOCK_FILE = 'alerts.lock';
const LOCK_STALE_MS = 30_000;

export interface StatusChange {
  id: string;
  status: AlertStatus;
  by: string;
  at: string;
  note?: string;
}

type Line = { op: 'put'; alert: Alert } | ({ op: 'status' } & StatusChange);

/** Applies a status line to an alert's fields. */
export function applyStatus(a: Alert, s: StatusChange): void {
  a.status = s.status;
  if (s.status === 'acknowledged') {
    a.acknowledged_at = s.at;
    a.acknowledged_by = s.by;
  } else if (s.status === 'resolved') {
    a.resolved_at = s.at;
    a.resolved_by = s.by;
  } else {
    delete a.resolved_at;
    delete a.resolved_by;
  }
  if (s.note !== undefined) a.note = s.note;
}

export class AlertLog {
  readonly file: string;
  private readonly lockFile: string;
  /** Bytes of the file already read by `readNew`. */
  private offset = 0;
  /** Lines that could not be parsed (a torn last line after a crash). */
  damaged = 0;

  constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, ALERTS_DIR, ALERTS_FILE);
    this.lockFile = path.join(dataDir, ALERTS_DIR, LOCK_FILE);
  }

  /** Every alert in the file, folded (empty when there is no file yet). */
  readAll(): Map<string, Alert> {
    this.offset = 0;
    const out = new Map<string, Alert>();
    this.applyLines(this.readFrom(0), out, () => true);
    return out;
  }

  /**
   * Folds what was appended since the last read into `alerts`: puts newer than the state held
   * (by revision), and every status line. Returns the ids changed.
   */
  readNew(alerts: Map<string, Alert>): string[] {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return [];
    }
    if (size < this.offset) this.offset = 0; // compacted by someone else: the folded state is the same
    if (size === this.offset) return [];
    const changed: string[] = [];
    this.applyLines(this.readFrom(this.offset), alerts, (id) => changed.push(id));
    return changed;
  }

  private readFrom(from: number): string {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buf, 0, buf.length, from);
      // Only whole lines: a line still being appended is read next time.
      const text = buf.toString('utf8');
      const end = text.lastIndexOf('\n') + 1;
      this.offset = from + Buffer.byteLength(text.slice(0, end));
      return text.slice(0, end);
    } finally {
      fs.closeSync(fd);
    }
  }

  private applyLines(text: string, alerts: Map<string, Alert>, changed: (id: string) => void): void {
    const statuses = new Map<string, StatusChange>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let l: Line;
      try {
        l = JSON.parse(line) as Line;
      } catch {
        this.damaged++;
        continue;
      }
      if (l.op === 'put' && l.alert?.id) {
        const cur = alerts.get(l.alert.id);
        if (cur && cur.rev >= l.alert.rev) continue;
        const keep = cur ? { status: cur.status, acknowledged_at: cur.acknowledged_at, acknowledged_by: cur.acknowledged_by, resolved_at: cur.resolved_at, resolved_by: cur.resolved_by, note: cur.note } : undefined;
        const a = l.alert;
        // A put does not decide the status: status lines do (they may come from another process).
        if (keep) Object.assign(a, Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined)));
        else a.status = 'open';
        alerts.set(a.id, a);
        const s = statuses.get(a.id);
        if (s) applyStatus(a, s);
        changed(a.id);
      } else if (l.op === 'status' && l.id) {
        statuses.set(l.id, l);
        const a = alerts.get(l.id);
        if (a) {
          applyStatus(a, l);
          changed(a.id);
        }
      }
    }
  }

  /** Appends lines and fsyncs them. */
  async append(lines: readonly Line[]): Promise<void> {
    if (lines.length === 0) return;
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    await this.withLock(async () => {
      const created = !fs.existsSync(this.file);
      const fh = await fs.promises.open(this.file, 'a');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (created) await fsyncDir(path.dirname(this.file));
    });
  }

  putLines(alerts: readonly Alert[]): Line[] {
    return alerts.map((a) => ({ op: 'put', alert: a }));
  }

  async setStatus(change: StatusChange): Promise<void> {
    await this.append([{ op: 'status', ...change }]);
  }

  /** Rewrites the file as one put and one status line per alert (dropping `drop`). */
  async compact(alerts: Iterable<Alert>, drop: (a: Alert) => boolean = () => false): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await this.withLock(async () => {
      const lines: Line[] = [];
      for (const a of alerts) {
        if (drop(a)) continue;
        lines.push({ op: 'put', alert: a });
        if (a.status !== 'open') lines.push({ op: 'status', id: a.id, status: a.status, by: (a.status === 'resolved' ? a.resolved_by : a.acknowledged_by) ?? '', at: (a.status === 'resolved' ? a.resolved_at : a.acknowledged_at) ?? a.updated_at, note: a.note });
      }
      const text = lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
      await writeFileDurable(this.file, text);
      this.offset = Buffer.byteLength(text);
    });
  }

  /** Bytes in the file now. */
  size(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /** Runs `fn` holding the lock file (so no append lands in a file being replaced). */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const fd = fs.openSync(this.lockFile, 'wx');
        fs.writeSync(fd, String(process.pid));
        fs.closeSync(fd);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${this.lockFile}: ${errorMessage(e)}`);
        try {
          const age = Date.now() - fs.statSync(this.lockFile).mtimeMs;
          if (age > LOCK_STALE_MS) fs.rmSync(this.lockFile, { force: true });
        } catch {
          // Removed by its holder meanwhile.
        }
        if (Date.now() > deadline) throw new Error(`${this.lockFile}: another process holds the alerts lock`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    try {
      return await fn();
    } finally {
      fs.rmSync(this.lockFile, { force: true });
    }
  }
}
