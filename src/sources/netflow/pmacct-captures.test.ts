// Cisco ASR9k exports from pmacct's test automation, checked against the rows nfacctd must
// produce (aggregated on the keys of each test's nfacctd-00.conf, so flows sharing those keys are
// summed before comparing) and against Wireshark's decode of every record.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import type { FlowRecord } from '../../schema/batch.js';
import { testdata } from '../../../test/support/paths.js';
import { NetflowDecoder } from './decoder.js';
import { captureDatagrams, decodeAll, matchFlows, READER_MODES, readWireshark, wiresharkFlows, wiresharkOptionsRecords } from './reference-decode.js';

const PROTOCOLS: Record<string, number> = { icmp: 1, ipencap: 4, tcp: 6, udp: 17, 'ipv6-icmp': 58, vrrp: 112 };
const TCP_FLAGS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 };

interface NfacctdRow {
  ip_src: string;
  ip_dst: string;
  port_src: number;
  port_dst: number;
  ip_proto: string;
  iface_in: number;
  iface_out: number;
  tcp_flags: string[];
  fwd_status: string;
  packets: number;
  bytes: number;
  timestamp_start?: string;
  timestamp_end?: string;
}

interface PmacctTest {
  dir: string;
  /** nfacctd_renormalize in the test's configuration: counters multiplied by the sampling rate. */
  renormalize: boolean;
  /** timestamp_start/end among the aggregation keys, and computable (v9 carries the uptime). */
  times: boolean;
  /** The sampling rate the options data announce, where one can be computed. */
  samplingRate: number;
}

const tests: PmacctTest[] = [
  { dir: '100-IPFIXv10-CISCO', renormalize: false, times: false, samplingRate: 1 },
  { dir: '101-NFv9-CISCO-cust_primitives', renormalize: false, times: true, samplingRate: 1 },
  // Options template 257: selectorId 1, samplingSize 1 of samplingPopulation 256 (random
  // n-out-of-N, selectorAlgorithm 3); nfacctd renormalises the counters by 256.
  { dir: '104-IPFIXv10-IPv6-CISCO-sampling_option', renormalize: true, times: false, samplingRate: 256 },
  // Options 257 gives samplingPacketInterval without a space or population: no rate follows.
  { dir: '500-IPFIXv10-BGP-CISCO-SRv6', renormalize: false, times: false, samplingRate: 1 },
];

/** Our row's values on the nfacctd aggregation keys. */
function key(r: FlowRecord, withTimes: boolean): string {
  const k = [r.src_addr, r.dst_addr, r.src_port, r.dst_port, r.protocol, r.in_if, r.out_if, r.tcp_flags, r.action];
  // nfacctd turns uptimes into seconds as export second - whole seconds of (sysUptime - First),
  // dropping the milliseconds of the difference: the flow's time rounded up to the second. Ours
  // keeps the milliseconds (export ms - difference, as Wireshark computes); rounded up, the two meet.
  if (withTimes) k.push(Math.ceil(r.first_ms / 1000), Math.ceil(r.last_ms / 1000));
  return k.join('|');
}

function nfacctdKey(n: NfacctdRow, withTimes: boolean): string {
  const flags = n.tcp_flags.reduce((a, f) => a | TCP_FLAGS[f], 0);
  // nfacctd's fwd_status names the two status bits; a dropped flow is a REJECT for us.
  const action = n.fwd_status.startsWith('DROPPED') ? 'REJECT' : 'ACCEPT';
  const k = [n.ip_src, n.ip_dst, n.port_src, n.port_dst, PROTOCOLS[n.ip_proto], n.iface_in, n.iface_out, flags, action];
  if (withTimes) k.push(Math.floor(Number(n.timestamp_start)), Math.floor(Number(n.timestamp_end)));
  return k.join('|');
}

for (const mode of READER_MODES) describe(`pmacct test automation, Cisco ASR9k (${mode.name})`, () => {
  for (const t of tests) {
    const dir = testdata('pmacct-test-automation', t.dir);

    it(`${t.dir}: nfacctd's output rows`, () => {
      const dec = new NetflowDecoder(mode.options);
      const rows = decodeAll(dec, captureDatagrams(`${dir}/traffic-00.pcap`));
      assert.equal(dec.stats.malformed.internal_error, 0);
      assert.equal(dec.stats.optionsRecords, wiresharkOptionsRecords(readWireshark(`${dir}/wireshark/traffic-00.json`)));
      for (const r of rows) assert.equal(r.sampling_rate, t.samplingRate);

      const ours = new Map<string, { packets: number; bytes: number }>();
      for (const r of rows) {
        const k = key(r, t.times);
        const sum = ours.get(k) ?? { packets: 0, bytes: 0 };
        sum.packets += t.renormalize ? r.packets : r.packets / r.sampling_rate;
        sum.bytes += t.renormalize ? r.bytes : r.bytes / r.sampling_rate;
        ours.set(k, sum);
      }
      const theirs = new Map<string, { packets: number; bytes: number }>();
      for (const line of fs.readFileSync(`${dir}/output-flow-00.json`, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const n = JSON.parse(line) as NfacctdRow;
        const k = nfacctdKey(n, t.times);
        const sum = theirs.get(k) ?? { packets: 0, bytes: 0 };
        sum.packets += n.packets;
        sum.bytes += n.bytes;
        theirs.set(k, sum);
      }
      assert.deepEqual(ours, theirs);
    });

    it(`${t.dir}: every record of Wireshark's decode`, () => {
      const rows = decodeAll(new NetflowDecoder(mode.options), captureDatagrams(`${dir}/traffic-00.pcap`));
      const ws = wiresharkFlows(readWireshark(`${dir}/wireshark/traffic-00.json`));
      assert.ok(ws.length > 0);
      const m = matchFlows(rows, ws);
      assert.deepEqual(m.unmatched, []);
      assert.equal(m.extra.length, 0);
    });
  }
});
