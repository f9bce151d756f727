import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../schema/batch.js';
import { parseIp } from '../schema/ip.js';
import { exampleThreatListPath, readThreatList } from '../sources/simulator/index.js';
import { intelConfig } from './config.js';
import { IntelLists } from './lists.js';
import { IntelStage } from './stage.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-intel-'));

function flows(pairs: [string, string][]): FlowBatch {
  const b = new FlowBatch(pairs.length, { shared: false });
  for (const [src, dst] of pairs) b.push({ src_addr: src, dst_addr: dst, protocol: 6 });
  return b;
}

test('the enrichment stage names the lists holding either end of each flow', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'c2.txt'), '198.51.100.7\n2001:db8:bad::/48\n');
  fs.writeFileSync(path.join(dir, 'drop.txt'), '; DROP\n198.51.100.0/24 ; SBL1\n');
  const lists = new IntelLists(intelConfig.parse({ lists: [{ name: 'c2', file: path.join(dir, 'c2.txt'), format: 'plain' }, { name: 'drop', file: path.join(dir, 'drop.txt') }] }));
  await lists.start();
  assert.deepEqual(lists.status().map((s) => [s.name, s.format, s.entries]), [['c2', 'plain', 2], ['drop', 'spamhaus_drop', 1]]);
  const stage = new IntelStage(() => lists.current());
  const b = flows([
    ['10.0.0.1', '198.51.100.7'],
    ['198.51.100.9', '10.0.0.1'],
    ['10.0.0.1', '192.0.2.1'],
    ['2001:db8:bad::1', '198.51.100.1'],
    ['fd00::1', '2001:db8:bad:1::9'],
  ]);
  stage.process(b);
  assert.deepEqual([...b.rows()].map((r) => r.threat), ['c2,drop', 'drop', '', 'c2,drop', 'c2']);
  assert.equal(stage.matched, 4);
  await lists.stop();
  fs.rmSync(dir, { recursive: true });
});

test('the example threat list (the simulator\'s known-bad addresses) marks those addresses', async () => {
  const lists = new IntelLists(intelConfig.parse({ lists: [{ name: 'example', file: exampleThreatListPath() }] }));
  await lists.start();
  const addrs = readThreatList(exampleThreatListPath());
  assert.ok(addrs.length > 10);
  for (const a of addrs) assert.deepEqual(lists.current()!.listsOf(parseIp(a)!), ['example'], a);
  await lists.stop();
});

test('a list file that cannot be read stops the start with its name; a changed file is read again', async () => {
  const dir = tmp();
  await assert.rejects(new IntelLists(intelConfig.parse({ lists: [{ name: 'gone', file: path.join(dir, 'missing.txt') }] })).start(), /intel list 'gone'/);
  const file = path.join(dir, 'l.txt');
  fs.writeFileSync(file, '192.0.2.1\n');
  const lists = new IntelLists(intelConfig.parse({ lists: [{ name: 'l', file, refresh_s: 0 }] }));
  await lists.start();
  assert.equal(await lists.reload('l'), false);
  fs.writeFileSync(file, '192.0.2.1\n192.0.2.2\n');
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(await lists.reload('l'), true);
  assert.deepEqual(lists.current()!.listsOf(parseIp('192.0.2.2')!), ['l']);
  fs.rmSync(dir, { recursive: true });
});

test('URL lists: downloaded, revalidated, reloaded on schedule, and served from the cache when the URL fails at start', async () => {
  let body = '# ipsum-like\n203.0.113.5\t3\n203.0.113.6\t1\n';
  let etag = '"v1"';
  let up = true;
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers['if-none-match'] as string | undefined);
    if (!up) return res.writeHead(503).end();
    if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
    res.writeHead(200, { etag, 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ipsum.txt`;
  const dir = tmp();
  const cfg = intelConfig.parse({ lists: [{ name: 'ipsum', url, format: 'ipsum', min_count: 2, refresh_s: 1 }] });
  const lists = new IntelLists(cfg, { cacheDir: dir });
  await lists.start();
  const has = (a: string) => lists.current()!.listsOf(parseIp(a)!).length > 0;
  assert.equal(has('203.0.113.5'), true);
  assert.equal(has('203.0.113.6'), false); // below min_count
  assert.equal(await lists.reload('ipsum'), false); // 304: unchanged
  assert.equal(seen.at(-1), '"v1"');
  body = '203.0.113.9\t5\n';
  etag = '"v2"';
  await new Promise((r) => setTimeout(r, 1500)); // the scheduled refresh
  assert.equal(has('203.0.113.9'), true);
  assert.equal(has('203.0.113.5'), false);
  await lists.stop();
  // A restart while the URL fails: the cached copy is used.
  up = false;
  const again = new IntelLists(cfg, { cacheDir: dir });
  await again.start();
  assert.equal(again.current()!.listsOf(parseIp('203.0.113.9')!).length, 1);
  assert.match(again.status()[0].error ?? '', /HTTP 503/);
  // Failing later keeps what is loaded.
  assert.equal(await again.reload('ipsum'), false);
  assert.equal(again.current()!.listsOf(parseIp('203.0.113.9')!).length, 1);
  await again.stop();
  server.close();
  fs.rmSync(dir, { recursive: true });
});

test('configuration mistakes are refused', () => {
  assert.throws(() => intelConfig.parse({ lists: [{ name: 'x', file: 'a', url: 'http://b/' }] }), /exactly one of file or url/);
  assert.throws(() => intelConfig.parse({ lists: [{ name: 'a,b', file: 'a' }] }), /list names/);
  assert.throws(() => intelConfig.parse({ lists: [{ name: 'a', file: 'a' }, { name: 'a', file: 'b' }] }), /unique/);
  assert.throws(() => intelConfig.parse({ lists: [{ name: 'a', file: 'a', format: 'xml' }] }));
});
