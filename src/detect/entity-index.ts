// Dense numbers for named entities (interfaces, subnets, VPCs) so per-entity state can live in
// typed arrays. A batch's string column is dictionary-encoded per batch, so the mapping from
// the batch's codes to entity numbers is built once per batch (one map lookup per distinct
// string) and rows then index an Int32Array.

import type { StringColumn } from '../schema/batch.js';

export class EntityIndex {
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();
  private remap = new Int32Array(64);
  /** Entities refused because `maxEntities` was reached. */
  refused = 0;

  constructor(readonly maxEntities = 100_000) {}

  get size(): number {
    return this.names.length;
  }

  /** The entity's number, creating it; -1 when the index is full. */
  id(name: string): number {
    let id = this.byName.get(name);
    if (id !== undefined) return id;
    if (this.names.length >= this.maxEntities) {
      this.refused++;
      return -1;
    }
    id = this.names.length;
    this.names.push(name);
    this.byName.set(name, id);
    return id;
  }

  lookup(name: string): number | undefined {
    return this.byName.get(name);
  }

  /**
   * Entity number per code of the column's dictionary (-1 for the empty string, or when full).
   * The array is reused by the next call.
   */
  codes(col: StringColumn): Int32Array {
    const values = col.dict.values;
    if (this.remap.length < values.length) this.remap = new Int32Array(Math.max(values.length, this.remap.length * 2));
    const r = this.remap;
    r[0] = -1;
    for (let i = 1; i < values.length; i++) r[i] = this.id(values[i]);
    return r;
  }
}

/** A Float64Array that grows (doubling) to hold index `n`. */
export function ensureF64(a: Float64Array<ArrayBuffer>, n: number, fill = 0): Float64Array<ArrayBuffer> {
  if (n < a.length) return a;
  let len = Math.max(16, a.length);
  while (len <= n) len *= 2;
  const b = new Float64Array(len);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

export function ensureU32(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  if (n < a.length) return a;
  let len = Math.max(16, a.length);
  while (len <= n) len *= 2;
  const b = new Uint32Array(len);
  b.set(a);
  return b;
}
