// The shipped example network and threat list (examples/ at the package root), found from
// this module's location so that it works from the sources and from the built package.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../inventory/load.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { parseIp } from '../../schema/ip.js';

function examplesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'examples');
    if (fs.existsSync(path.join(candidate, 'inventory.yaml')) && fs.existsSync(path.join(dir, 'package.json'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('examples/inventory.yaml not found above the simulator module');
    dir = up;
  }
}

export function exampleInventoryPath(): string {
  return path.join(examplesDir(), 'inventory.yaml');
}

export function exampleThreatListPath(): string {
  return path.join(examplesDir(), 'threat-list.txt');
}

/** The shipped examples/inventory.yaml. */
export function loadExampleInventory(): InventoryIndex {
  return loadInventory(exampleInventoryPath());
}

/**
 * IPv4 addresses of a threat list file: one per line, optionally followed by whitespace and
 * more columns (IPsum's `IP<TAB>count`); `#` starts a comment. Lines that are not IPv4 are skipped.
 */
export function readThreatList(file: string = exampleThreatListPath()): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const text = line.replace(/#.*/, '').trim().split(/\s+/)[0];
    if (!text || text.includes(':')) continue;
    if (parseIp(text)) out.push(text);
  }
  return out;
}
