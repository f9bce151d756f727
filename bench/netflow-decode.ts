// NetFlow v5 / v9 / IPFIX decode speed per core (flows per CPU second of this process).
// Datagrams are built in memory from real exporters' templates and records (logstash-codec-netflow
// and pmacct captures), filled to about 1400 bytes as exporters send them, with running sequence
// numbers; rows go to a reused FlowBatch, so the figure is the decoder's alone (no socket, no
// batch allocation).

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { FlowBatch } from '../src/schema/batch.js';
import { parseIp } from '../src/schema/ip.js';
import { readCapture } from '../src/sources/pcap/capture.js';
import { udpPayload } from '../src/sources/pcap/udp.js';
import { concat } from '../src/sources/netflow/datagram-builder.js';
import { NetflowDecoder } from '../src/sources/netflow/decoder.js';
import { ipfixTemplates, type TemplateReceiver, v9Templates } from '../src/sources/netflow/template-sets.js';
import { testdata } from '../test/support/paths.js';

const TARGET_BYTES = 1400;
const DATAGRAMS = 64;

function u16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

function put16(d: Uint8Array, o: number, v: number): void {
  d[o] = v >>> 8;
  d[o + 1] = v & 255;
}

function put32(d: Uint8Array, o: number, v: number): void {
  new DataView(d.buffer, d.byteOffset).setUint32(o, v >>> 0);
}

/**
 * From a real data datagram (header + one data set of fixed-length records), datagrams of about
 * 1400 bytes repeating its records, with sequence numbers running as the exporter's would.
 */
function fill(real: Uint8Array, version: 9 | 10, recordLength: number): { datagrams: Uint8Array[]; records: number; length: number } {
  const headerLength = version === 9 ? 20 : 16;
  const setId = u16(real, headerLength);
  const setLength = u16(real, headerLength + 2);
  const records: Uint8Array[] = [];
  for (let p = headerLength + 4; p + recordLength <= headerLength + setLength; p += recordLength) records.push(real.subarray(p, p + recordLength));
  const n = Math.floor((TARGET_BYTES - headerLength - 4) / recordLength);
  const body = concat(Array.from({ length: n }, (_, i) => records[i % records.length]));
  const datagrams: Uint8Array[] = [];
  for (let k = 0; k < DATAGRAMS; k++) {
    const d = concat([real.subarray(0, headerLength), new Uint8Array(4), body]);
    put16(d, headerLength, setId);
    put16(d, headerLength + 2, 4 + body.length);
    if (version === 9) {
      put16(d, 2, n);
      put32(d, 12, 1000 + k);
    } else {
      put16(d, 2, d.length);
      put32(d, 8, 1000 + k * n);
    }
    datagrams.push(d);
  }
  return { datagrams, records: n, length: recordLength };
}

function dat(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(testdata('logstash-codec-netflow', 'captures', name)));
}

function pcapPayloads(path: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of readCapture(new Uint8Array(fs.readFileSync(path)))) {
    const u = udpPayload(p);
    if (u) out.push(Uint8Array.from(u.payload));
  }
  return out;
}

interface Workload {
  name: string;
  templates: Uint8Array[];
  datagrams: Uint8Array[];
  recordsPerDatagram: number;
}

function workloads(): Workload[] {
  const out: Workload[] = [];
  // v5: full datagrams of 30 records from a MikroTik export.
  const v5 = dat('netflow5_test_microtik.dat');
  out.push({
    name: 'v5 (MikroTik, 30 records of 48 B)',
    templates: [],
    datagrams: Array.from({ length: DATAGRAMS }, (_, k) => {
      const d = Uint8Array.from(v5);
      put32(d, 16, 1000 + 30 * k);
      return d;
    }),
    recordsPerDatagram: 30,
  });
  // v9: softflowd's IPv4 template 1024 and Cisco ASR 9000's template 260 (addresses, ports,
  // counters, times, AS, masks, direction, forwarding status, sampler, VRFs).
  const soft = fill(v9DataOnly(dat('netflow9_test_valid01.dat')), 9, recordLength(dat('netflow9_test_valid01.dat'), 9, 1024));
  out.push({ name: `v9 (softflowd, ${soft.records} records of ${soft.length} B)`, templates: [dat('netflow9_test_valid01.dat')], datagrams: soft.datagrams, recordsPerDatagram: soft.records });
  const asr = fill(dat('netflow9_test_cisco_asr9k_data260.dat'), 9, recordLength(dat('netflow9_test_cisco_asr9k_tpl260.dat'), 9, 260));
  out.push({ name: `v9 (Cisco ASR 9000, ${asr.records} records of ${asr.length} B)`, templates: [dat('netflow9_test_cisco_asr9k_tpl260.dat')], datagrams: asr.datagrams, recordsPerDatagram: asr.records });
  // IPFIX: MikroTik's template 258 (with post-NAT addresses) and IOS XR's template 260 from
  // pmacct's capture (MPLS labels, millisecond times).
  const mk = fill(dat('ipfix_test_mikrotik_data258.dat'), 10, recordLength(dat('ipfix_test_mikrotik_tpl.dat'), 10, 258));
  out.push({ name: `ipfix (MikroTik, ${mk.records} records of ${mk.length} B)`, templates: [dat('ipfix_test_mikrotik_tpl.dat')], datagrams: mk.datagrams, recordsPerDatagram: mk.records });
  const xr = pcapPayloads(testdata('pmacct-test-automation', '100-IPFIXv10-CISCO', 'traffic-00.pcap'));
  const xrData = fill(xr[2], 10, recordLength(xr[0], 10, 260));
  out.push({ name: `ipfix (IOS XR, ${xrData.records} records of ${xrData.length} B)`, templates: [xr[0], xr[1]], datagrams: xrData.datagrams, recordsPerDatagram: xrData.records });
  return out;
}

/** Record length of template `id` announced in `d`. */
function recordLength(d: Uint8Array, version: 9 | 10, id: number): number {
  let length = -1;
  const receiver: TemplateReceiver = {
    template: (tid, fields) => {
      if (tid === id) length = fields.reduce((n, f) => n + f.length, 0);
    },
    withdraw: () => {},
    malformed: () => {},
  };
  let p = version === 9 ? 20 : 16;
  while (p + 4 <= d.length) {
    const setId = u16(d, p);
    const len = u16(d, p + 2);
    if (len < 4) break;
    if (version === 9 && setId === 0) v9Templates(d, p + 4, p + len, receiver);
    if (version === 10 && setId === 2) ipfixTemplates(d, p + 4, p + len, false, receiver);
    p += len;
  }
  if (length < 0) throw new Error(`template ${id} not found`);
  return length;
}

/** netflow9_test_valid01.dat holds templates then data: the header and its 1024 data set alone. */
function v9DataOnly(d: Uint8Array): Uint8Array {
  let p = 20;
  while (p + 4 <= d.length) {
    const id = u16(d, p);
    const len = u16(d, p + 2);
    if (id === 1024) return concat([d.subarray(0, 20), d.subarray(p, p + len)]);
    p += len;
  }
  throw new Error('no 1024 data set');
}

function measure(w: Workload, ms: number): { flowsPerSec: number; datagramsPerSec: number } {
  const batch = new FlowBatch(8192);
  const sink = {
    room: () => {
      if (batch.full) batch.reset();
      return batch;
    },
  };
  const decoder = new NetflowDecoder();
  const exporter = parseIp('192.0.2.1')!;
  const now = Date.UTC(2024, 0, 1);
  for (const t of w.templates) decoder.decode(t, exporter, now, sink);
  const pass = () => {
    for (let i = 0; i < w.datagrams.length; i++) decoder.decode(w.datagrams[i], exporter, now, sink);
  };
  for (let i = 0; i < 200; i++) pass();
  const before = decoder.stats.flows;
  // CPU time, not wall time: the figure is per core even when other work shares the machine.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let passes = 0;
  while (performance.now() - t0 < ms) {
    pass();
    passes++;
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = (cpu.user + cpu.system) / 1e6;
  const flows = decoder.stats.flows - before;
  if (flows !== passes * w.datagrams.length * w.recordsPerDatagram) throw new Error(`${w.name}: ${flows} rows for ${passes} passes`);
  return { flowsPerSec: Math.round(flows / seconds), datagramsPerSec: Math.round((passes * w.datagrams.length) / seconds) };
}

export async function run(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const out: Array<{ name: string; value: number; unit: string }> = [];
  for (const w of workloads()) {
    const r = measure(w, Number(process.env.NETFLOW_BENCH_MS ?? 2000));
    out.push({ name: `netflow decode ${w.name}`, value: r.flowsPerSec, unit: 'flows/s' });
    out.push({ name: `netflow decode ${w.name} datagrams`, value: r.datagramsPerSec, unit: 'datagrams/s' });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
