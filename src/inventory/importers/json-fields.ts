// Reading fields of a describe output with a clear error when one is missing or of the wrong
// kind: "enis.json: NetworkInterfaces[2].MacAddress: is required".

import { InventoryError, formatPath, type PathPart } from '../errors.js';

export type Json = Record<string, unknown>;

export class Reader {
  constructor(readonly file: string) {}

  fail(path: readonly PathPart[], problem: string): never {
    throw new InventoryError(this.file, formatPath(path), problem);
  }

  obj(v: unknown, path: readonly PathPart[]): Json {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, v === undefined ? 'is required' : 'must be an object');
    return v as Json;
  }

  list(o: Json, key: string, path: readonly PathPart[]): unknown[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail([...path, key], 'must be a list');
    return v;
  }

  str(o: Json, key: string, path: readonly PathPart[]): string {
    const v = o[key];
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string' || v.trim() === '') this.fail([...path, key], v === undefined ? 'is required' : 'must be non-empty text');
    return v.trim();
  }

  optStr(o: Json, key: string): string | undefined {
    const v = o[key];
    if (typeof v === 'number') return String(v);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  }

  optNum(o: Json, key: string, path: readonly PathPart[]): number | undefined {
    const v = o[key];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) this.fail([...path, key], 'must be a number');
    return n;
  }
}

/** Tags as a plain map: [{Key, Value}] (both clouds). */
export function tagMap(list: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list) {
    if (t && typeof t === 'object') {
      const k = (t as Json).Key;
      const v = (t as Json).Value;
      if (typeof k === 'string') out[k] = v === undefined || v === null ? '' : String(v);
    }
  }
  return out;
}

/** The region of an availability zone: us-east-1a → us-east-1, ap-guangzhou-3 → ap-guangzhou. */
export function regionOfZone(zone: string | undefined, cloud: 'aws' | 'tencent'): string {
  if (!zone) return '';
  return cloud === 'aws' ? zone.replace(/[a-z]$/, '') : zone.replace(/-\d+$/, '');
}
