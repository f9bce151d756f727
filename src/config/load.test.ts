import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { loadConfig, section } from './load.js';

function file(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-config-'));
  const f = path.join(dir, 'flowlogs.yaml');
  fs.writeFileSync(f, text);
  return f;
}

test('a misspelt section is refused with its name and the known ones', () => {
  const f = file('server:\n  port: 9090\nstroe:\n  data: /tmp/x\n');
  assert.throws(() => loadConfig(f, {}), (e: Error) => e.message.includes(f) && e.message.includes("unknown section 'stroe'") && e.message.includes('store'));
});

test('known sections load and environment overrides keep their YAML type', () => {
  const f = file('server:\n  port: 9090\nsinks: {}\nbus: {}\n');
  const cfg = loadConfig(f, { FLOWLOGS_SERVER__PORT: '7070', FLOWLOGS_STORE__RETENTION_DAYS: '3' });
  assert.equal((cfg.raw.server as { port: unknown }).port, 7070);
  assert.equal((cfg.raw.store as { retention_days: unknown }).retention_days, 3);
});

test('an environment override for an unknown section is refused too', () => {
  assert.throws(() => loadConfig(undefined, { FLOWLOGS_SERVR__PORT: '1' }), /unknown section 'servr'/);
});

test('a bad value names the file, the path and the problem', () => {
  const f = file('server:\n  port: many\n');
  const cfg = loadConfig(f, {});
  assert.throws(() => section(cfg, 'server', z.object({ port: z.number() }).strict()), (e: Error) => e.message.startsWith(`${f}: server.port:`));
});

test('a config that is not a mapping is refused', () => {
  assert.throws(() => loadConfig(file('- a\n- b\n'), {}), /must be a mapping of sections/);
});
