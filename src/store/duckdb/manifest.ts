// Which Parquet files make up the store. Fresh segments land in flows/staging/ and are found
// by listing it (their names carry their time bounds and row count); compacted files are
// listed in MANIFEST.json, which is replaced atomically. A compaction commits by adding its
// outputs and marking its inputs consumed in one manifest write, so readers see either the
// inputs or the outputs, never both.

import fs from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../../util/durable.js';
import { InputError } from '../../util/errors.js';

export interface SegmentInfo {
  /** Path relative to the flows directory. */
  name: string;
  rows: number;
  minStart: number;
  maxStart: number;
  bytes: number;
  /** How the file lays out the record (src/store/duckdb/schema.ts); absent means 'raw'. */
  layout?: 'raw' | 'offsets';
  /** Compacted files only: rollup tier name → its file for this file's rows (src/store/rollups.ts). */
  rollups?: Record<string, { name: string; bytes: number }>;
}

export interface ManifestData {
  version: number;
  /** Fingerprint of the field list the files were written with. */
  schema: string;
  files: SegmentInfo[];
  /** Staged segments already folded into compacted files, awaiting deletion. */
  consumed: string[];
}

export const STAGING = 'staging';
const MANIFEST = 'MANIFEST.json';

const stagedName = /^(\d+)-(\d+)-(\d+)-([0-9a-z_]+)\.parquet$/;

// Unique per process start, so a restarted process (even with a recycled pid) never reuses a name.
const writerToken = `${Date.now().toString(36)}${process.pid.toString(36)}`;

export function stagedSegmentName(minStart: number, maxStart: number, rows: number, seq: number): string {
  return `${STAGING}/${minStart}-${maxStart}-${rows}-${writerToken}_${seq}.parquet`;
}

export function parseStagedName(file: string): Omit<SegmentInfo, 'bytes'> | undefined {
  const m = stagedName.exec(file);
  if (!m) return undefined;
  return { name: `${STAGING}/${file}`, minStart: Number(m[1]), maxStart: Number(m[2]), rows: Number(m[3]) };
}

export class Manifest {
  data: ManifestData;

  constructor(
    private readonly flowsDir: string,
    schema: string,
  ) {
    this.data = Manifest.read(flowsDir) ?? { version: 0, schema, files: [], consumed: [] };
  }

  static read(flowsDir: string): ManifestData | undefined {
    const file = path.join(flowsDir, MANIFEST);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const d = JSON.parse(text) as ManifestData;
      if (!Array.isArray(d.files) || !Array.isArray(d.consumed) || typeof d.version !== 'number') throw new Error('bad shape');
      return d;
    } catch {
      throw new InputError(`${file} is corrupt: the list of stored flow files cannot be read; move it aside to rebuild from the files`);
    }
  }

  /** Applies `change` to a copy and writes it durably; readers switch at the rename. */
  async commit(change: (d: ManifestData) => void): Promise<void> {
    const next: ManifestData = structuredClone(this.data);
    change(next);
    next.version = this.data.version + 1;
    await writeFileDurable(path.join(this.flowsDir, MANIFEST), JSON.stringify(next));
    this.data = next;
  }
}

/** Lists staged segments on disk (for processes that did not write them). */
export function listStaged(flowsDir: string, withSizes = false): SegmentInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(flowsDir, STAGING));
  } catch {
    return [];
  }
  const out: SegmentInfo[] = [];
  for (const n of names) {
    const s = parseStagedName(n);
    if (!s) continue;
    let bytes = 0;
    if (withSizes) {
      try {
        bytes = fs.statSync(path.join(flowsDir, STAGING, n)).size;
      } catch {
        continue; // compacted away while we looked
      }
    }
    out.push({ ...s, bytes });
  }
  return out;
}

/**
 * A consistent view of the files to read: the manifest's compacted files plus staged
 * segments not yet consumed. Re-reads until the manifest did not change while listing.
 */
export function readSnapshot(flowsDir: string, withSizes = false): SegmentInfo[] {
  for (;;) {
    const before = Manifest.read(flowsDir);
    const staged = listStaged(flowsDir, withSizes);
    const after = Manifest.read(flowsDir);
    if ((before?.version ?? 0) !== (after?.version ?? 0)) continue;
    const consumed = new Set(after?.consumed ?? []);
    return [...(after?.files ?? []), ...staged.filter((s) => !consumed.has(s.name))];
  }
}
