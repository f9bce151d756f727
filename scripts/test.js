#!/usr/bin/env node
// Runs every test (compiled to dist/ by `npm test`). Installs and starts what tests need first
// (scripts/setup-test-deps.sh), so a clean clone passes with this one command.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const setup = path.join(root, 'scripts', 'setup-test-deps.sh');
if (fs.existsSync(setup) && !process.env.FLOWLOGS_SKIP_SETUP) {
  const r = spawnSync('bash', [setup], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function find(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = find(path.join(root, 'dist')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
