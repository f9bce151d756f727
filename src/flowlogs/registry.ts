// The flow logs of one data directory, kept in flow-logs.json. Every change is a locked
// read-modify-write followed by a durable replace, so the CLI and a running server may both
// change flow logs; a running server notices changes made by others by polling the file.

import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { writeFileDurable } from '../util/durable.js';
import { InputError } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { withFileLock } from './file-lock.js';
import { STORE_DESTINATION, buildFlowLog, patchFlowLog, storedFlowLogSchema, type FlowLog, type FlowLogInput, type FlowLogPatch } from './flow-log.js';

export const FLOW_LOGS_FILE = 'flow-logs.json';
const FILE_VERSION = 1;

const fileSchema = z.object({ version: z.number().int(), flow_logs: z.array(storedFlowLogSchema) });

export class FlowLogNotFoundError extends InputError {
  override readonly name: string = 'InputError';
  readonly statusCode = 404;
}

/** What the flow-log stage and the sinks need: the current flow logs and word of changes. */
export interface FlowLogSource {
  list(): readonly FlowLog[];
  onChange(fn: () => void): () => void;
}

/** How sinks learn which flow logs deliver to them. */
export interface FlowLogDestinations {
  /** The destinations of a flow log; [] for an id that names no flow log. */
  destinationsOf(flowLogId: string): string[];
}

interface FileStamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

export class FlowLogRegistry implements FlowLogSource, FlowLogDestinations {
  private logs: FlowLog[] = [];
  private byId = new Map<string, FlowLog>();
  private stamp: FileStamp | undefined;
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  readonly file: string;

  private constructor(readonly dataDir: string) {
    this.file = path.join(dataDir, FLOW_LOGS_FILE);
  }

  /** Reads the flow logs of a data directory (none yet is fine). Throws InputError for a corrupt file. */
  static open(dataDir: string): FlowLogRegistry {
    const r = new FlowLogRegistry(dataDir);
    r.load();
    return r;
  }

  private readStamp(): FileStamp | undefined {
    try {
      const st = fs.statSync(this.file);
      return { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino };
    } catch {
      return undefined;
    }
  }

  private static parse(file: string, text: string): FlowLog[] {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new InputError(`${file}: not valid JSON; restore it from a backup or remove it (its flow logs are lost)`);
    }
    const r = fileSchema.safeParse(data);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InputError(`${file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    if (r.data.version > FILE_VERSION) throw new InputError(`${file} was written by a newer flowlogs (version ${r.data.version})`);
    return r.data.flow_logs as FlowLog[];
  }

  private readFile(): FlowLog[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return FlowLogRegistry.parse(this.file, text);
  }

  private load(): void {
    const stamp = this.readStamp();
    this.set(this.readFile(), stamp);
  }

  private set(logs: FlowLog[], stamp: FileStamp | undefined): void {
    this.logs = logs;
    this.byId = new Map(logs.map((l) => [l.id, l]));
    this.stamp = stamp;
    for (const fn of this.listeners) fn();
  }

  /** Re-reads the file when another process changed it. Returns whether it did. */
  reloadIfChanged(): boolean {
    const s = this.readStamp();
    const o = this.stamp;
    if (s === o || (s && o && s.mtimeMs === o.mtimeMs && s.size === o.size && s.ino === o.ino)) return false;
    try {
      this.set(this.readFile(), s);
    } catch {
      // A half-edited file by hand: keep what we have until it is valid again.
      this.stamp = s;
      return false;
    }
    return true;
  }

  /** Polls the file so that changes made elsewhere apply here within `intervalMs`. */
  watch(intervalMs = 500): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.reloadIfChanged(), intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  list(): readonly FlowLog[] {
    return this.logs;
  }

  get(idOrName: string): FlowLog | undefined {
    return this.byId.get(idOrName) ?? this.logs.find((l) => l.name === idOrName);
  }

  /** The flow log by id or name, or a FlowLogNotFoundError naming the closest one. */
  find(idOrName: string): FlowLog {
    const l = this.get(idOrName);
    if (l) return l;
    throw FlowLogRegistry.notFound(this.logs, idOrName);
  }

  private static notFound(logs: readonly FlowLog[], idOrName: string): FlowLogNotFoundError {
    const near = closest(idOrName, logs.flatMap((x) => [x.id, x.name]));
    return new FlowLogNotFoundError(`no flow log '${idOrName}'${near ? ` (did you mean '${near}'?)` : logs.length === 0 ? ' (there are none yet)' : ''}`);
  }

  destinationsOf(flowLogId: string): string[] {
    const l = this.byId.get(flowLogId);
    return l ? [...l.destinations] : [];
  }

  /** Whether rows of this flow log go to the built-in store (unknown ids: yes, they are not ours to drop). */
  storesRows(flowLogId: string): boolean {
    const l = this.byId.get(flowLogId);
    return !l || l.destinations.includes(STORE_DESTINATION);
  }

  /** Applies `change` to the current file contents under the lock and writes the result durably. */
  private async mutate<T>(change: (logs: FlowLog[]) => { logs: FlowLog[]; result: T }): Promise<T> {
    return withFileLock(`${this.file}.lock`, async () => {
      const current = this.readFile();
      const { logs, result } = change(current);
      await writeFileDurable(this.file, JSON.stringify({ version: FILE_VERSION, flow_logs: logs }, null, 2) + '\n');
      this.set(logs, this.readStamp());
      return result;
    });
  }

  private static findIn(logs: FlowLog[], idOrName: string): number {
    const i = logs.findIndex((l) => l.id === idOrName);
    return i >= 0 ? i : logs.findIndex((l) => l.name === idOrName);
  }

  private static checkUniqueName(logs: FlowLog[], log: FlowLog): void {
    const other = logs.find((l) => l.name === log.name && l.id !== log.id);
    if (other) throw new InputError(`a flow log named '${log.name}' already exists (${other.id})`);
  }

  async create(input: FlowLogInput, inventory?: InventoryIndex): Promise<FlowLog> {
    const log = buildFlowLog(input, inventory);
    return this.mutate((logs) => {
      FlowLogRegistry.checkUniqueName(logs, log);
      return { logs: [...logs, log], result: log };
    });
  }

  update(idOrName: string, patch: FlowLogPatch, inventory?: InventoryIndex): Promise<FlowLog> {
    return this.mutate((logs) => {
      const i = FlowLogRegistry.findIn(logs, idOrName);
      if (i < 0) throw FlowLogRegistry.notFound(logs, idOrName);
      // The scope is only checked against the inventory when it changes: an ENI that left the
      // inventory must not stop a flow log on it from being renamed or disabled.
      const next = patchFlowLog(logs[i], patch, inventory);
      FlowLogRegistry.checkUniqueName(logs, next);
      const out = [...logs];
      out[i] = next;
      return { logs: out, result: next };
    });
  }

  setEnabled(idOrName: string, enabled: boolean): Promise<FlowLog> {
    return this.update(idOrName, { enabled });
  }

  delete(idOrName: string): Promise<FlowLog> {
    return this.mutate((logs) => {
      const i = FlowLogRegistry.findIn(logs, idOrName);
      if (i < 0) throw FlowLogRegistry.notFound(logs, idOrName);
      return { logs: logs.filter((_, k) => k !== i), result: logs[i] };
    });
  }
}
