// Shared by the answers' tests: an inventory document with proposed rule changes applied (to
// check that a proposal does what it says), and a DuckDB store in a temporary directory.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inventoryFileSchema, type InventoryFileInput } from '../../src/inventory/file-schema.js';
import { InventoryIndex } from '../../src/inventory/inventory-index.js';
import { resolveInventory } from '../../src/inventory/resolve.js';
import type { RuleChange } from '../../src/analyze/reachability/fix.js';
import type { FlowBatch } from '../../src/schema/batch.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';

type AnyRule = Record<string, unknown>;

/** The document with the changes made, as an operator would make them (the input is not modified). */
export function applyChanges(doc: InventoryFileInput, changes: readonly RuleChange[]): InventoryFileInput {
  const out = structuredClone(doc) as { security_groups: Array<{ id: string; ingress?: AnyRule[]; egress?: AnyRule[] }>; network_acls: Array<{ id: string; ingress?: AnyRule[]; egress?: AnyRule[] }> };
  for (const c of changes) {
    const owner = (c.kind === 'security_group' ? out.security_groups : out.network_acls).find((x) => x.id === c.id);
    if (!owner) throw new Error(`no ${c.kind} ${c.id}`);
    const list = (owner[c.direction] ??= []);
    if (c.change === 'remove') {
      const at = list.findIndex((r) => r.id === (c.rule as { rule: string }).rule);
      if (at < 0) throw new Error(`no rule ${(c.rule as { rule: string }).rule} in ${c.id}`);
      list.splice(at, 1);
      continue;
    }
    const rule = { ...(c.rule as unknown as AnyRule) };
    if (c.before) {
      const at = list.findIndex((r) => r.id === c.before!.rule);
      if (at !== c.before.index) throw new Error(`rule ${c.before.rule} of ${c.id} is at ${at}, the change says ${c.before.index}`);
      list.splice(at, 0, rule);
    } else list.push(rule);
  }
  return out as unknown as InventoryFileInput;
}

export interface TempStore {
  store: DuckDbStore;
  dir: string;
  close(): Promise<void>;
}

export async function tempStore(batches: readonly FlowBatch[] = [], compact = false): Promise<TempStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-answers-'));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  for (const b of batches) await store.append(b);
  await store.flush();
  if (compact) await store.compact();
  return {
    store,
    dir,
    async close() {
      await store.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The document as an InventoryIndex, skipping the YAML text round trip (the schema and reference checks still run). */
export function indexOf(doc: InventoryFileInput, source = 'test.yaml'): InventoryIndex {
  const file = inventoryFileSchema.parse(doc);
  const model = resolveInventory(file, (where, problem) => {
    throw new Error(`${source}: ${where.join('.')}: ${problem}`);
  });
  return new InventoryIndex(model, source);
}
