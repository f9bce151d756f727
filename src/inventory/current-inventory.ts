// The inventory a running service works with: the first of a list of files that exists
// (the one imported into the data directory, then the configured one), re-read when it
// changes so that ENIs added later are covered without a restart. A file that stops being
// valid keeps the last good inventory in use and reports the problem once.

import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileDurable } from '../util/durable.js';
import { errorMessage } from '../util/errors.js';
import type { InventoryFileInput } from './file-schema.js';
import type { InventoryIndex } from './inventory-index.js';
import { loadInventory, parseInventory } from './load.js';

/** The inventory imported into a data directory (flowlogs inventory import, POST /api/inventory). */
export const INVENTORY_FILE = 'inventory.json';

/** Config section `inventory`: a YAML/JSON inventory used when none was imported into the data directory. */
export const inventoryConfig = z.strictObject({ file: z.string().optional() });
export type InventoryConfig = z.infer<typeof inventoryConfig>;

export function dataDirInventory(dataDir: string): string {
  return path.join(dataDir, INVENTORY_FILE);
}

/** Where a service looks for its inventory, in order. */
export function inventoryCandidates(dataDir: string, cfg: InventoryConfig = {}): string[] {
  return [dataDirInventory(dataDir), ...(cfg.file ? [path.resolve(cfg.file)] : [])];
}

/** What the flow-log stage, the probe and the API read the inventory through. */
export interface InventorySource {
  get(): InventoryIndex | undefined;
  onChange(fn: () => void): () => void;
}

/** A fixed inventory (tests, one-off commands). */
export class StaticInventory implements InventorySource {
  constructor(private readonly index: InventoryIndex | undefined) {}
  get(): InventoryIndex | undefined {
    return this.index;
  }
  onChange(): () => void {
    return () => {};
  }
}

interface Stamp {
  file: string;
  mtimeMs: number;
  size: number;
}

export class CurrentInventory implements InventorySource {
  private index: InventoryIndex | undefined;
  private stamp: Stamp | undefined;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<() => void>();
  /** The last problem reading the file in use, empty when it read fine. */
  problem = '';

  constructor(
    readonly candidates: readonly string[],
    private readonly onProblem: (message: string) => void = () => {},
  ) {
    this.refresh();
  }

  get(): InventoryIndex | undefined {
    return this.index;
  }

  /** The file the inventory in use came from, or undefined. */
  get file(): string | undefined {
    return this.stamp?.file;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private current(): Stamp | undefined {
    for (const file of this.candidates) {
      try {
        const st = fs.statSync(file);
        if (st.isFile()) return { file, mtimeMs: st.mtimeMs, size: st.size };
      } catch {
        // not there: try the next one
      }
    }
    return undefined;
  }

  /** Re-reads the inventory when its file changed (or another candidate took over). Returns whether it changed. */
  refresh(): boolean {
    const s = this.current();
    const o = this.stamp;
    if (s === o || (s && o && s.file === o.file && s.mtimeMs === o.mtimeMs && s.size === o.size)) return false;
    if (!s) {
      this.stamp = undefined;
      this.index = undefined;
      this.problem = '';
      this.emit();
      return true;
    }
    try {
      this.index = loadInventory(s.file);
      this.problem = '';
    } catch (e) {
      this.stamp = s;
      const msg = errorMessage(e);
      if (msg !== this.problem) {
        this.problem = msg;
        this.onProblem(`${msg}; the previous inventory stays in use`);
      }
      return false;
    }
    this.stamp = s;
    this.emit();
    return true;
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  watch(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Checks an inventory (our file format as an object) and writes it as the data directory's
 * current inventory. Throws InventoryError (exit 2 / HTTP 400) naming `source` when it is not valid.
 */
export async function saveInventory(dataDir: string, inventory: InventoryFileInput, source: string): Promise<InventoryIndex> {
  const text = JSON.stringify(inventory, null, 2) + '\n';
  const index = parseInventory(text, source);
  await fs.promises.mkdir(dataDir, { recursive: true });
  await writeFileDurable(dataDirInventory(dataDir), text);
  return index;
}
