// Locations tests need: the repository root and the shared real-world captures and samples.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path under the shared test data (FLOWLOGS_TESTDATA overrides the default ../shared/testdata). */
export function testdata(...parts: string[]): string {
  const base = process.env.FLOWLOGS_TESTDATA ?? path.resolve(repoRoot, '..', 'shared', 'testdata');
  return path.join(base, ...parts);
}
