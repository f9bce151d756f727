// Writing files so that, once the promise resolves, they survive a crash or power loss:
// write to a temporary name, fsync the file, rename over the final name, fsync the directory.
// A reader therefore sees either the old file or the whole new one, never a torn one.

import fs from 'node:fs/promises';
import path from 'node:path';

let seq = 0;

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileDurable(file: string, data: Uint8Array | string, opts: { syncDir?: boolean } = {}): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${seq++}`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.rename(tmp, file);
  if (opts.syncDir !== false) await fsyncDir(path.dirname(file));
}

/** Makes a directory (and parents) and fsyncs its parent so the entry itself is durable. */
export async function mkdirDurable(dir: string): Promise<void> {
  const existed = await fs
    .stat(dir)
    .then(() => true)
    .catch(() => false);
  if (existed) return;
  await fs.mkdir(dir, { recursive: true });
  await fsyncDir(path.dirname(dir));
}

export function isTmpName(name: string): boolean {
  return /\.tmp-\d+-\d+$/.test(name);
}
