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
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('bad usage and bad input exit 2 with one clear line on stderr', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-cli-'));
  const badYaml = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(badYaml, 'server:\n  port: [1\n');
  const badPort = path.join(tmp, 'port.yaml');
  fs.writeFileSync(badPort, 'server:\n  port: 99999\n');
  const foreign = path.join(tmp, 'foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'x.db'), '');
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['query', '--bogus'], /Unknown option '--bogus'/],
    [['query', 'scr_addr:10.0.0.1', '--data', tmp], /unknown field 'scr_addr', did you mean 'src_addr'/],
    [['query', '', '--from', 'yesterday', '--data', tmp], /--from: 'yesterday' is not a time/],
    [['serve', '--config', badYaml], /bad\.yaml: not valid YAML/],
    [['serve', '--config', badPort], /port\.yaml: server\.port: /],
    [['serve', '--data', foreign], /is not a flowlogs data directory/],
    [['serve', '--host', '0.0.0.0', '--port', '0', '--data', path.join(tmp, 'd1')], /binding 0\.0\.0\.0 needs an API token/],
    [['query', '', '--data', path.join(tmp, 'nope')], /does not exist/],
  ];
  for (const [args, re] of cases) {
    const r = flowlogs(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.err}`);
    assert.match(r.err, re, args.join(' '));
    assert.equal(r.err.trim().split('\n').filter((l) => !l.startsWith('{')).length, 1, `one line for ${args.join(' ')}: ${r.err}`);
  }
  fs.rmSync(tmp, { recursive: true });
});

test('environment variables override the config file', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-cli-'));
  const r = flowlogs(['serve', '--data', path.join(tmp, 'd')], { FLOWLOGS_SERVER__PORT: '70000' });
  assert.equal(r.code, 2);
  assert.match(r.err, /server\.port/);
  fs.rmSync(tmp, { recursive: true });
});

test('token create prints the token once and stores only its hash', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-cli-'));
  const r = flowlogs(['token', 'create', '--name', 'ops', '--data', tmp]);
  assert.equal(r.code, 0, r.err);
  const token = r.out.trim();
  assert.match(token, /^flt_[\w-]{20,}$/);
  assert.ok(!fs.readFileSync(path.join(tmp, 'tokens.json'), 'utf8').includes(token));
  const l = flowlogs(['token', 'list', '--data', tmp]);
  assert.match(l.out, /ops/);
  assert.equal(flowlogs(['token', 'create', '--name', 'ops', '--data', tmp]).code, 2);
  fs.rmSync(tmp, { recursive: true });
});
