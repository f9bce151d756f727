// A lock file around read-modify-write of small shared files, so that the CLI and a running
// server changing flow logs at the same moment cannot overwrite each other's change. The
// holder's pid is in the file; a lock left by a process that no longer exists is taken over.

import fs from 'node:fs/promises';

const RETRY_MS = 15;

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await fs.open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(await fs.readFile(lockFile, 'utf8').catch(() => ''));
      // An empty file is a lock being written right now; only a named, dead holder is stale.
      if (holder && !alive(holder)) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile} is held by process ${holder || '?'} for more than ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}
