// One compiled policy engine per inventory. Compiling takes a few hundred milliseconds on a
// large inventory while a verdict takes microseconds, so answers share the engine of the
// inventory they were asked about, and the inventory object's lifetime bounds the cache.

import type { InventoryIndex } from '../inventory/inventory-index.js';
import { PolicyEngine } from '../policy/engine.js';

const engines = new WeakMap<InventoryIndex, PolicyEngine>();

export function engineFor(inventory: InventoryIndex): PolicyEngine {
  let e = engines.get(inventory);
  if (!e) {
    e = new PolicyEngine(inventory);
    engines.set(inventory, e);
  }
  return e;
}
