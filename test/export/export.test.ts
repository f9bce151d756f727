import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FlowRecord } from '../../src/schema/batch.js';
import { makeParser } from '../../src/sources/cloud/parsers.js';
import { ParseProblems } from '../../src/sources/cloud/problems.js';
import { NetflowDecoder } from '../../src/sources/netflow/index.js';
import { BatchList } from '../../src/sources/source.js';
import { loadExampleInventory, Simulator } from '../../src/sources/simulator/index.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { repoRoot } from '../support/paths.js';

const START = 1_795_000_000 - (1_795_000_000 % 3600);
let tmp: string;
let data: string;
let recs: FlowRecord[];

function flowlogs(args: string[]) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'flowlogs.js'), ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
}

const key = (r: { src_addr: string; dst_addr: string; src_port: number; dst_port: number; protocol: number; packets: number; bytes: number }) =>
  `${r.src_addr} ${r.dst_addr} ${r.src_port} ${r.dst_port} ${r.protocol} ${r.packets} ${r.bytes}`;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-export-'));
  data = path.join(tmp, 'data');
  const store = new DuckDbStore({ dataDir: data, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  const sim = new Simulator(loadExampleInventory(), { seed: 11, windowSeconds: 60, startTime: START, flowsPerWindow: 150, scenarios: [{ name: 'sg_blocked_service', atWindow: 3 }] });
  const list = new BatchList(4096);
  for (let w = 0; w < 10; w++) sim.nextWindow(list);
  for (const b of list.batches) await store.append(b);
  await store.stop();
  recs = list.records();
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const range = ['--from', String(START), '--to', String(START + 600), '--data'];

test('AWS text export reads back through the AWS importer as the same records', () => {
  const r = flowlogs(['export', '--format', 'aws', ...range, data]);
  assert.equal(r.status, 0, r.stderr);
  const list = new BatchList();
  const problems = new ParseProblems();
  const parser = makeParser('aws', list, { problems });
  parser.push(Buffer.from(r.stdout));
  parser.end();
  assert.equal(problems.total, 0);
  const back = list.records();
  assert.equal(back.length, recs.length);
  assert.deepEqual(back.map(key).sort(), recs.map(key).sort());
  assert.deepEqual(back.map((x) => `${x.interface_id} ${x.action} ${x.start} ${x.end}`).sort(), recs.map((x) => `${x.interface_id} ${x.action} ${x.start} ${x.end}`).sort());
  const gz = path.join(tmp, 'flows.txt.gz');
  assert.equal(flowlogs(['export', 'action:REJECT', '--format', 'aws', '-o', gz, ...range, data]).status, 0);
  const lines = spawnSync('zcat', [gz], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.equal(lines.length - 1, recs.filter((x) => x.action === 'REJECT').length);
});

test('Parquet export has the schema of AWS Parquet delivery', async () => {
  const file = path.join(tmp, 'flows.parquet');
  const r = flowlogs(['export', '--format', 'parquet', '-o', file, ...range, data]);
  assert.equal(r.status, 0, r.stderr);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const cols = (await c.runAndReadAll(`DESCRIBE SELECT * FROM '${file}'`)).getRows().map((x) => `${x[0]}:${x[1]}`);
  assert.deepEqual(cols.slice(0, 14), ['version:INTEGER', 'account_id:VARCHAR', 'interface_id:VARCHAR', 'srcaddr:VARCHAR', 'dstaddr:VARCHAR', 'srcport:INTEGER', 'dstport:INTEGER', 'protocol:INTEGER', 'packets:BIGINT', 'bytes:BIGINT', 'start:BIGINT', 'end:BIGINT', 'action:VARCHAR', 'log_status:VARCHAR']);
  const [n, bytes] = (await c.runAndReadAll(`SELECT count(*), sum(bytes) FROM '${file}'`)).getRows()[0];
  assert.equal(Number(n), recs.length);
  assert.equal(Number(bytes), recs.reduce((s, x) => s + x.bytes, 0));
  c.closeSync();
  db.closeSync();
});

/** Receives IPFIX messages on a loopback port while the export runs. */
async function receiveExport(extra: string[]): Promise<Buffer[]> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  const port = sock.address().port;
  const p = spawn(process.execPath, [path.join(repoRoot, 'bin', 'flowlogs.js'), 'export', '--format', 'ipfix', '--collector', `127.0.0.1:${port}`, ...range, data, ...extra]);
  await new Promise((r) => p.on('exit', r));
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  return got;
}

function pcapOf(messages: Buffer[], port: number): Buffer {
  // Ethernet + IPv4 + UDP around each message, so tools that read captures can dissect it.
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(1, 20);
  parts.push(g);
  messages.forEach((m, i) => {
    const frame = Buffer.alloc(14 + 20 + 8 + m.length);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    frame.writeUInt16BE(20 + 8 + m.length, 16);
    frame[22] = 64;
    frame[23] = 17;
    frame.writeUInt32BE(0x7f000001, 26);
    frame.writeUInt32BE(0x7f000001, 30);
    frame.writeUInt16BE(40000, 34);
    frame.writeUInt16BE(port, 36);
    frame.writeUInt16BE(8 + m.length, 38);
    m.copy(frame, 42);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_795_000_000 + i, 0);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    parts.push(h, frame);
  });
  return Buffer.concat(parts);
}

test('IPFIX export decodes to the same flows with our decoder, with Wireshark and with nfcapd', async () => {
  // A modest rate: loopback UDP still drops when a busy machine cannot read fast enough.
  const messages = await receiveExport(['--rate', '1000']);
  assert.ok(messages.length > 0);
  const dec = new NetflowDecoder();
  const list = new BatchList();
  for (const m of messages) dec.decode(m, new Uint32Array([0, 0, 0xffff, 0x7f000001]), Date.now(), list);
  assert.equal(Object.values(dec.stats.malformed).reduce((a, b) => a + b, 0), 0);
  const back = list.records();
  assert.deepEqual(back.map(key).sort(), recs.map(key).sort());
  assert.equal(back.filter((x) => x.action === 'REJECT').length, recs.filter((x) => x.action === 'REJECT').length);
  const times = (xs: FlowRecord[]) => xs.map((x) => `${key(x)} ${x.first_ms || x.start * 1000}`).sort();
  assert.deepEqual(times(back), times(recs));

  // Wireshark's IPFIX dissector, on a capture of the same messages.
  const pcap = path.join(tmp, 'ipfix.pcap');
  fs.writeFileSync(pcap, pcapOf(messages, 4739));
  const ts = spawnSync('tshark', ['-r', pcap, '-d', 'udp.port==4739,cflow', '-T', 'fields', '-E', 'occurrence=a', '-e', 'cflow.octets', '-e', 'cflow.packets'], { encoding: 'utf8' });
  assert.equal(ts.status, 0, ts.stderr);
  let octets = 0;
  let packets = 0;
  let records = 0;
  for (const line of ts.stdout.trim().split('\n')) {
    const [o, p] = line.split('\t');
    if (!o) continue;
    const os_ = o.split(',').map(Number);
    records += os_.length;
    octets += os_.reduce((a, b) => a + b, 0);
    packets += p.split(',').map(Number).reduce((a, b) => a + b, 0);
  }
  assert.equal(records, recs.length);
  assert.equal(octets, recs.reduce((s, x) => s + x.bytes, 0));
  assert.equal(packets, recs.reduce((s, x) => s + x.packets, 0));

  // nfcapd stores what it receives; nfdump counts it.
  const dir = path.join(tmp, 'nfcapd');
  fs.mkdirSync(dir);
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const port = probe.address().port;
  probe.close();
  const nf = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-B', String(8 << 20)]);
  await new Promise((r) => setTimeout(r, 800));
  const sock = dgram.createSocket('udp4');
  for (const m of messages) {
    await new Promise<void>((r) => sock.send(m, port, '127.0.0.1', () => r()));
    await new Promise((r) => setTimeout(r, 1));
  }
  sock.close();
  await new Promise((r) => setTimeout(r, 800));
  nf.kill('SIGTERM');
  await new Promise((r) => nf.on('exit', r));
  const summary = spawnSync('nfdump', ['-R', dir, '-I'], { encoding: 'utf8' }).stdout;
  assert.equal(Number(/^Flows:\s+(\d+)/m.exec(summary)?.[1]), recs.length);
  assert.equal(Number(/^Bytes:\s+(\d+)/m.exec(summary)?.[1]), recs.reduce((s, x) => s + x.bytes, 0));
});

test('export refuses what it cannot do, with exit status 2', () => {
  assert.equal(flowlogs(['export', '--format', 'ipfix', ...range, data]).status, 2);
  assert.equal(flowlogs(['export', '--format', 'parquet', ...range, data]).status, 2);
  const bad = flowlogs(['export', 'scr_addr:1', ...range, data]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /did you mean 'src_addr'/);
});
