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

/** The nearest shared/testdata beside the checkout or beside one of its parents. */
function findTestdata(): string {
  for (let dir = path.dirname(repoRoot); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'testdata');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.resolve(repoRoot, '..', 'shared', 'testdata');
  }
}

const testdataRoot = process.env.FLOWLOGS_TESTDATA ?? findTestdata();

/** A path under the shared test data (FLOWLOGS_TESTDATA overrides the default ../shared/testdata). */
export function testdata(...parts: string[]): string {
  return path.join(testdataRoot, ...parts);
}
