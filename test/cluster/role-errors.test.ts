// The scale-out roles refuse bad configuration before they connect to anything: exit status 2
// and one line naming the problem.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/paths.js';

const bin = path.join(repoRoot, 'bin', 'flowlogs.js');

function flowlogs(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: r.status, err: r.stderr };
}

test('collect, write and serve --store refuse bad input with one clear line', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-roles-'));
  const cfg = path.join(tmp, 'flowlogs.yaml');
  fs.writeFileSync(cfg, 'bus:\n  url: nats://127.0.0.1:1\n  partitions: 4\nwrite:\n  partitions: [1, 4]\n');
  const cases: [string[], RegExp, Record<string, string>?][] = [
    [['write'], /needs a ClickHouse store: --store clickhouse:\/\//],
    [['write', '--store', 'http://127.0.0.1:8123/db'], /needs a ClickHouse store/],
    [['write', '--store', "clickhouse://127.0.0.1:1/fl'ows"], /database 'fl'ows' must be letters, digits and _/],
    [['write', '--store', 'clickhouse://127.0.0.1:1/db?shard=a:1'], /unknown option 'shard'/],
    [['write', '--config', cfg, '--store', 'clickhouse://127.0.0.1:1/db'], /write\.partitions: 4 is not below bus\.partitions \(4\)/],
    [['write', '--store', 'clickhouse://127.0.0.1:1/db'], /bus\.partitions: /, { FLOWLOGS_BUS__PARTITIONS: '0' }],
    [['collect', '--name', 'a b'], /--name must be letters, digits, - and _/],
    [['collect'], /bus\.subject: /, { FLOWLOGS_BUS__SUBJECT: 'a..b' }],
    [['serve', '--store', 'mysql://127.0.0.1/db', '--data', path.join(tmp, 'd')], /store URL 'mysql:\/\/127\.0\.0\.1\/db': remote stores are not available/],
  ];
  for (const [args, re, env] of cases) {
    const r = flowlogs(args, env);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.err}`);
    assert.match(r.err, re, args.join(' '));
    assert.equal(r.err.trim().split('\n').filter((l) => !l.startsWith('{')).length, 1, `one line for ${args.join(' ')}: ${r.err}`);
  }
  fs.rmSync(tmp, { recursive: true });
});
