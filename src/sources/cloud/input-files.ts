// Finding and reading input files: folders are walked recursively (hidden entries and other
// AWS services' log folders skipped, order stable), gzip is recognised by its magic bytes
// whatever the file is called, and a file's content hash identifies it across renames.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { InputError } from '../../util/errors.js';
import { isOtherAwsService } from './aws/s3-layout.js';

export interface InputFile {
  path: string;
  size: number;
}

/** Every regular file named by `paths`, folders expanded, in a stable order. */
export async function listInputs(paths: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const visit = async (p: string, top: boolean): Promise<void> => {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(p);
    } catch (e) {
      if (top) throw new InputError(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
      return;
    }
    if (st.isDirectory()) {
      const names = (await fs.promises.readdir(p)).filter((n) => !n.startsWith('.')).sort();
      for (const n of names) await visit(path.join(p, n), false);
    } else if (st.isFile()) {
      const abs = path.resolve(p);
      if (seen.has(abs)) return;
      if (!top && isOtherAwsService(abs)) return;
      seen.add(abs);
      out.push({ path: p, size: st.size });
    }
  };
  for (const p of paths) await visit(p, true);
  return out;
}

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

const GZIP = [0x1f, 0x8b];
const PARQUET = Buffer.from('PAR1');

export async function readHead(file: string, n = 4): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP[0] && head[1] === GZIP[1];
}

export function isParquet(head: Uint8Array): boolean {
  return head.length >= 4 && Buffer.from(head.subarray(0, 4)).equals(PARQUET);
}

/**
 * The file's content, decompressed, in chunks; `onRaw` hears how many file bytes each step
 * consumed (progress is measured on the file, not the decompressed text).
 */
export async function* readContent(file: string, gzip: boolean, onRaw?: (n: number) => void): AsyncGenerator<Buffer> {
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (onRaw) raw.on('data', (c) => onRaw((c as Buffer).length));
  if (!gzip) {
    for await (const c of raw) yield c as Buffer;
    return;
  }
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  try {
    for await (const c of gunzip) yield c as Buffer;
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
}
