// The probe's speed and memory, and the same capture through softflowd and nfdump's nfpcapd.
//  - packets per CPU-second (one core) from a capture held in memory: without an inventory (flow table
//    only) and with one (attribution by MAC, connection tracking, security-group/ACL verdicts);
//  - packets/s reading the capture file (what the CLI does), to compare with the C tools;
//  - flow-table bytes per concurrent flow (a full table), and connection-tracking bytes per connection;
//  - softflowd -r and nfpcapd -r on the same file: wall time and CPU time (user + system, so
//    nfpcapd's threads count), and our ratio to each per CPU-second.
// The capture: 2,000,000 TCP packets of 100,000 concurrent flows between 256 ENIs and the
// internet over 30 s, both directions of every flow interleaved.

import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { parseInventory } from '../src/inventory/load.js';
import type { InventoryIndex } from '../src/inventory/inventory-index.js';
import { FlowBatch } from '../src/schema/batch.js';
import { ConnectionTracker } from '../src/sources/probe/conntrack.js';
import { FlowTable } from '../src/sources/probe/flow-table.js';
import { PcapStream } from '../src/sources/probe/pcap-stream.js';
import { Probe } from '../src/sources/probe/probe.js';
import { ACK, PSH, SYN, frame, tcp } from '../src/sources/probe/synthetic-capture.js';

type Figure = { name: string; value: number; unit: string };

const PACKETS = 2_000_000;
const FLOWS = 100_000;
const ENIS = 256;
const T0 = 1_700_000_000_000;
const SPAN_MS = 30_000;
const GW_MAC = '02:60:ff:ff:ff:01';

const eniIp = (i: number) => `10.60.${i >> 6}.${(i & 63) + 10}`;
const eniMac = (i: number) => `02:60:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

function inventory(): InventoryIndex {
  return parseInventory(
    YAML.stringify({
      vpcs: [{ id: 'vpc-bench', account_id: '1', cidrs: ['10.60.0.0/16'] }],
      subnets: [0, 1, 2, 3].map((s) => ({ id: `subnet-${s}`, vpc: 'vpc-bench', cidr: `10.60.${s}.0/24`, network_acl: 'acl-bench' })),
      network_acls: [
        {
          id: 'acl-bench',
          vpc: 'vpc-bench',
          ingress: [
            { number: 100, action: 'deny', protocol: 'tcp', ports: 5432, cidr: '0.0.0.0/0' },
            { number: 200, action: 'allow', protocol: 'all', cidr: '0.0.0.0/0' },
          ],
          egress: [{ number: 100, action: 'allow', protocol: 'all', cidr: '0.0.0.0/0' }],
        },
      ],
      security_groups: [
        {
          id: 'sg-bench',
          vpc: 'vpc-bench',
          ingress: [
            { id: 'https', protocol: 'tcp', ports: 443, peer: '0.0.0.0/0' },
            { id: 'api', protocol: 'tcp', ports: 8080, peer: '10.60.0.0/16' },
          ],
          egress: [{ id: 'all', protocol: 'all', peer: '0.0.0.0/0' }],
        },
      ],
      enis: Array.from({ length: ENIS }, (_, i) => ({ id: `eni-${i}`, mac: eniMac(i), ips: [eniIp(i)], subnet: `subnet-${i >> 6}`, security_groups: ['sg-bench'] })),
    }),
    'bench inventory',
  );
}

/** The capture as one classic pcap buffer, built from two template frames per flow. */
function capture(): Uint8Array {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const PORTS = [443, 8080, 5432];
  const templates: Uint8Array[] = [];
  for (let f = 0; f < FLOWS; f++) {
    const client = rnd(ENIS);
    const internal = rnd(2) === 0;
    const server = internal ? (client + 1 + rnd(ENIS - 1)) % ENIS : -1;
    const sIp = internal ? eniIp(server) : `198.18.${rnd(256)}.${1 + rnd(254)}`;
    const sMac = internal ? eniMac(server) : GW_MAC;
    const cp = 1024 + rnd(60000);
    const sp = PORTS[rnd(3)];
    const pay = new Uint8Array(10);
    templates.push(frame({ srcMac: eniMac(client), dstMac: sMac, src: eniIp(client), dst: sIp, protocol: 6, l4: tcp(cp, sp, ACK | PSH, pay) }));
    templates.push(frame({ srcMac: sMac, dstMac: eniMac(client), src: sIp, dst: eniIp(client), protocol: 6, l4: tcp(sp, cp, ACK | PSH, pay) }));
  }
  const len = templates[0].length;
  const out = new Uint8Array(24 + PACKETS * (16 + len));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true);
  const counts = new Uint32Array(FLOWS);
  let at = 24;
  for (let i = 0; i < PACKETS; i++) {
    const f = i % FLOWS;
    const n = counts[f]++;
    const ts = T0 + (i * SPAN_MS) / PACKETS;
    const sec = Math.floor(ts / 1000);
    dv.setUint32(at, sec, true);
    dv.setUint32(at + 4, Math.round((ts - sec * 1000) * 1000), true);
    dv.setUint32(at + 8, len, true);
    dv.setUint32(at + 12, len, true);
    const t = templates[f * 2 + (n & 1)];
    out.set(t, at + 16);
    // The handshake opens each flow, so connection tracking sees who asked.
    if (n < 2) out[at + 16 + 14 + 20 + 13] = n === 0 ? SYN : SYN | ACK;
    at += 16 + len;
  }
  return out;
}

function discardingSink() {
  const batch = new FlowBatch(8192, { shared: false });
  let rows = 0;
  return {
    sink: {
      room: () => {
        if (batch.full) {
          rows += batch.length;
          batch.reset();
        }
        return batch;
      },
    },
    rows: () => rows + batch.length,
  };
}

function probeRate(buf: Uint8Array, inv: InventoryIndex | undefined): { pps: number; records: number } {
  const out = discardingSink();
  const probe = new Probe({ sink: out.sink, inventory: inv, windowSeconds: 10, maxFlows: 1 << 20, nodata: 'none' });
  const port = probe.addPort('bench');
  const pass = () => {
    const s = new PcapStream((b, off, len, orig, sec, usec, link) => probe.packetAt(b, off, len, orig, sec, usec, link, port));
    s.push(buf);
    probe.finish();
  };
  pass();
  const before = probe.stats.packets;
  // CPU time of this process, not wall time: the figure is per core, whatever else the machine runs.
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  do pass();
  while (performance.now() - t0 < 3000);
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  return { pps: ((probe.stats.packets - before) / ms) * 1000, records: out.rows() };
}

async function probeFromFile(file: string, inv: InventoryIndex): Promise<number> {
  let best = 0;
  for (let k = 0; k < 3; k++) {
    const out = discardingSink();
    const probe = new Probe({ sink: out.sink, inventory: inv, windowSeconds: 10, maxFlows: 1 << 20, nodata: 'none' });
    const port = probe.addPort('bench');
    const s = new PcapStream((b, off, len, orig, sec, usec, link) => probe.packetAt(b, off, len, orig, sec, usec, link, port));
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      fs.createReadStream(file, { highWaterMark: 1 << 20 })
        .on('data', (c) => s.push(c as Buffer))
        .on('end', () => resolve())
        .on('error', reject);
    });
    probe.finish();
    best = Math.max(best, (PACKETS / (performance.now() - t0)) * 1000);
  }
  return best;
}

function tableBytesPerFlow(): { table: number; conntrack: number } {
  const n = 1 << 20;
  const t = new FlowTable(n);
  const src = new Uint32Array([0, 0, 0xffff, 0]);
  const dst = new Uint32Array([0, 0, 0xffff, 0x0a000001]);
  for (let i = 0; i < n; i++) {
    src[3] = 0x0a3c0000 + (i & 0xffff);
    t.upsert((i & 255) + 1, ((i + 7) & 255) + 1, src, dst, ((1024 + (i >>> 16)) << 16) | 443, 6);
  }
  const c = new ConnectionTracker(n);
  for (let i = 0; i < n; i++) {
    src[3] = 0x0a3c0000 + (i & 0xffff);
    c.isReply(6, src, 1024 + (i >>> 16), dst, 443, SYN, 0);
  }
  return { table: t.allocatedBytes / t.size, conntrack: c.allocatedBytes / c.connections };
}

function ensureTools(): string[] {
  const missing = [
    ['softflowd', 'softflowd'],
    ['nfpcapd', 'nfdump'],
  ].filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) return missing.map(([c]) => c);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map(([, p]) => p)], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return missing.filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0).map(([c]) => c);
}

/** Best of three runs: wall seconds and the child's CPU seconds (user + system, all threads). */
async function timeTool(cmd: string): Promise<{ wall: number; cpu: number }> {
  let best = { wall: Infinity, cpu: Infinity };
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      // bash's `times` prints the children's user and system time once the command has run.
      const p = spawn('bash', ['-c', `${cmd} >/dev/null 2>&1; times`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      p.stdout.on('data', (d) => (text += String(d)));
      p.on('exit', () => resolve(text));
      p.on('error', reject);
    });
    const wall = (performance.now() - t0) / 1000;
    const line = out.trim().split('\n').pop() ?? '';
    const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    const cpu = (secs[0] ?? NaN) + (secs[1] ?? NaN);
    if (wall < best.wall) best = { wall, cpu };
  }
  return best;
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const inv = inventory();
  const buf = capture();
  const plain = probeRate(buf, undefined);
  figures.push({ name: 'probe packets/s per core (in memory, no inventory)', value: Math.round(plain.pps), unit: 'packets/s' });
  const full = probeRate(buf, inv);
  figures.push({ name: 'probe packets/s per core (in memory, inventory + verdicts)', value: Math.round(full.pps), unit: 'packets/s' });

  const mem = tableBytesPerFlow();
  figures.push({ name: 'probe flow-table bytes per concurrent flow', value: Math.round(mem.table * 10) / 10, unit: 'bytes' });
  figures.push({ name: 'probe connection-tracking bytes per connection', value: Math.round(mem.conntrack * 10) / 10, unit: 'bytes' });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-probe-'));
  const file = path.join(dir, 'bench.pcap');
  fs.writeFileSync(file, buf);
  try {
    const fromFile = await probeFromFile(file, inv);
    figures.push({ name: 'probe packets/s (capture file, inventory + verdicts)', value: Math.round(fromFile), unit: 'packets/s' });
    const missing = ensureTools();
    if (missing.length) process.stderr.write(`probe bench: ${missing.join(', ')} not available (install softflowd and nfdump as root); their figures are left out\n`);
    // softflowd exports NetFlow; something must take the datagrams.
    const drain = dgram.createSocket('udp4');
    drain.on('message', () => {});
    await new Promise<void>((r) => drain.bind(0, '127.0.0.1', () => r()));
    const port = drain.address().port;
    const tools: Array<[string, string]> = [];
    if (!missing.includes('softflowd')) tools.push(['softflowd', `softflowd -r ${file} -n 127.0.0.1:${port} -v 9 -m 1000000 -p ${path.join(dir, 'softflowd.pid')}`]);
    if (!missing.includes('nfpcapd')) {
      const outDir = path.join(dir, 'nfpcapd');
      fs.mkdirSync(outDir);
      tools.push(['nfpcapd', `rm -f ${outDir}/*; nfpcapd -r ${file} -w ${outDir} -B 1048576`]);
    }
    for (const [name, cmd] of tools) {
      const t = await timeTool(cmd);
      const wallPps = PACKETS / t.wall;
      const cpuPps = PACKETS / t.cpu;
      figures.push({ name: `${name} packets/s (capture file, wall)`, value: Math.round(wallPps), unit: 'packets/s' });
      figures.push({ name: `${name} packets/s per CPU-second`, value: Math.round(cpuPps), unit: 'packets/s' });
      figures.push({ name: `probe/${name} ratio (per core, in memory with verdicts vs per CPU-second)`, value: Math.round((full.pps / cpuPps) * 100) / 100, unit: 'x' });
      figures.push({ name: `probe/${name} ratio (capture file, wall)`, value: Math.round((fromFile / wallPps) * 100) / 100, unit: 'x' });
    }
    drain.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
