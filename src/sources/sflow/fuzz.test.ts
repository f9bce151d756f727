// Seeded, deterministic mutation of real sFlow datagrams: the decoder must never throw, never
// spin, never write more rows than the bytes can hold, count what it rejects by reason, and decode
// a good datagram correctly right after any garbage.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { FlowBatch } from '../../schema/batch.js';
import { testdata } from '../../../test/support/paths.js';
import { concat, ethernet, ipv4, ipv6, udp, vxlan, withVlanTags } from '../packet/frame-builder.js';
import { CaptureFormatError, readCapture } from '../pcap/capture.js';
import { udpPayload } from '../pcap/udp.js';
import type { BatchSink } from '../source.js';
import * as W from './datagram-writer.js';
import { SflowDecoder } from './decoder.js';
import { CounterList, InterfaceCounterBatch, type CounterSink } from './interface-counters.js';
import { MALFORMED_REASONS } from './stats.js';

const CASES = 100_000;

/** mulberry32: small, fast, and the same sequence on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** Sinks that reuse one batch each, so memory stays flat however many rows the fuzzer causes. */
class ReusingSinks {
  private done = 0;
  private readonly batch = new FlowBatch(1024);
  private readonly counterBatch = new InterfaceCounterBatch(256);
  readonly flows: BatchSink = {
    room: () => {
      if (this.batch.full) {
        this.done += this.batch.length;
        this.batch.reset();
      }
      return this.batch;
    },
  };
  readonly counters: CounterSink = {
    room: () => {
      if (this.counterBatch.full) this.counterBatch.reset();
      return this.counterBatch;
    },
  };
  /** Flow rows written so far. */
  get rows(): number {
    return this.done + this.batch.length;
  }
}

function sflowPayloads(file: string): Uint8Array[] {
  return [...readCapture(fs.readFileSync(file))].map((p) => Uint8Array.from(udpPayload(p)!.payload));
}

// Frames that nest without end: the header decoder must stop at its bounds.
const tcp = new Uint8Array(20);
tcp[12] = 0x50;
let nestedVxlan = ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp }));
for (let i = 0; i < 12; i++) {
  nestedVxlan = ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: udp(1, 4789, vxlan(i, nestedVxlan)) }));
}
const endlessIpv6 = ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, payload: tcp, extensions: Array.from({ length: 60 }, () => ({ type: 0, body: new Uint8Array(6) })) }));
const endlessTags = withVlanTags(nestedVxlan, Array.from({ length: 40 }, (_, i) => ({ tpid: i % 2 ? 0x8100 : 0x88a8, vid: i })));

function built(): Uint8Array[] {
  const hdr = (f: Uint8Array) => W.sampledHeader(1, f.length + 4, 4, f.subarray(0, Math.min(f.length, 256)));
  return [
    W.datagram({
      agent: '10.0.0.9',
      samples: [
        W.flowSample({ samplingRate: 64, input: 1, output: 2, records: [hdr(nestedVxlan), W.extendedSwitch(5, 6)] }),
        W.flowSample({ expanded: true, samplingRate: 64, input: 1, output: (1 << 30) | 258, records: [hdr(endlessIpv6)] }),
        W.flowSample({ samplingRate: 64, input: 1, output: 2, records: [hdr(endlessTags), W.extendedGateway({ nextHop: '2001:db8::1', as: 1, srcAs: 2, srcPeerAs: 3, path: [[4, 5, 6], [7]], communities: [8, 9] })] }),
      ],
    }),
    W.datagram({
      agent: '2001:db8::9',
      samples: [
        W.countersSample({ sourceIdIndex: 3, records: [W.genericInterfaceCounters({ ifIndex: 3, ifType: 6, ifSpeed: 1e9, ifDirection: 1, ifStatus: 3, inOctets: 1, inUcastPkts: 1, inMulticastPkts: 1, inBroadcastPkts: 1, inDiscards: 1, inErrors: 1, inUnknownProtos: 1, outOctets: 1, outUcastPkts: 1, outMulticastPkts: 1, outBroadcastPkts: 1, outDiscards: 1, outErrors: 1, promiscuous: 2 })] }),
        W.flowSample({ samplingRate: 1, input: 0x3fffffff, output: 2, records: [W.sampledIpv4({ length: 40, protocol: 6, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2 })] }),
      ],
    }),
  ];
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

function mutate(src: Uint8Array, r: ReturnType<typeof rng>): Uint8Array {
  const kind = r.int(8);
  const d = Uint8Array.from(src);
  const word = () => (r.int(Math.max(1, d.length >> 2)) << 2) % Math.max(4, d.length - 3);
  const put32 = (at: number, v: number) => {
    if (at + 4 <= d.length) d.set([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255], at);
  };
  switch (kind) {
    case 0: // bit flips
      for (let n = 1 + r.int(8); n > 0; n--) d[r.int(d.length)] ^= 1 << r.int(8);
      return d;
    case 1: // truncation
      return d.subarray(0, r.int(d.length + 1));
    case 2: // a lying length or count: an aligned word set to an interesting value
      for (let n = 1 + r.int(3); n > 0; n--) put32(word(), INTERESTING[r.int(INTERESTING.length)]);
      return d;
    case 3: // a length or count nudged by a little
      for (let n = 1 + r.int(2); n > 0; n--) {
        const at = word();
        const v = ((d[at] << 24) | (d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]) >>> 0;
        put32(at, (v + (r.int(17) - 8) * (r.next() < 0.5 ? 1 : 4)) >>> 0);
      }
      return d;
    case 4: // zero-length fields: a run of zero words
      d.fill(0, word(), word() + 4 * r.int(8));
      return d;
    case 5: {
      // an aligned chunk removed or duplicated, shifting everything after it
      const a = word();
      const len = 4 * (1 + r.int(16));
      return r.next() < 0.5 ? concat(d.subarray(0, a), d.subarray(a + len)) : concat(d.subarray(0, a + len), d.subarray(a));
    }
    case 6: // huge field: random bytes over a region
      for (let i = word(), n = r.int(64); n > 0 && i < d.length; n--, i++) d[i] = r.int(256);
      return d;
    default: // the sample count and first sample length, the words most worth lying about
      put32(r.next() < 0.5 ? 24 : 32, INTERESTING[r.int(INTERESTING.length)]);
      return d;
  }
}

describe('sFlow decoder under mutated input', () => {
  const corpus = [
    ...fs.readdirSync(testdata('akvorado', 'sflow')).flatMap((f) => sflowPayloads(testdata('akvorado', 'sflow', f))),
    ...fs.readdirSync(testdata('logstash-codec-sflow', 'datagrams')).map((f) => Uint8Array.from(fs.readFileSync(testdata('logstash-codec-sflow', 'datagrams', f)))),
    ...sflowPayloads(testdata('overflowd', 'sflow.pcap')).filter((_, i) => i % 50 === 0),
    ...built(),
  ];
  const good = sflowPayloads(testdata('akvorado', 'sflow', 'data-1140.pcap'))[0];
  const akvorado = JSON.parse(fs.readFileSync(testdata('akvorado', 'expected', 'akvorado_test_facts.json'), 'utf8'));
  const goodFlows = akvorado.tests.sflow.find((t: { subtest: string }) => t.subtest === 'basic').expected_flows;
  const exporter = new Uint32Array([0, 0, 0xffff, 0x0a000001]);

  it(`survives ${CASES} mutated datagrams and still decodes a good one after each burst`, { timeout: 300_000 }, () => {
    const r = rng(0x5f10e);
    const sinks = new ReusingSinks();
    const decoder = new SflowDecoder({ counters: sinks.counters });
    const heapBefore = process.memoryUsage().heapUsed;
    let mutatedBytes = 0;
    for (let i = 0; i < CASES; i++) {
      let data = mutate(corpus[r.int(corpus.length)], r);
      if (r.next() < 0.2) data = mutate(data, r);
      mutatedBytes += data.length;
      const before = sinks.rows;
      decoder.decode(data, exporter, 1_700_000_000_000 + i, sinks.flows);
      // Each row needs a sample header, flow-sample fields and a record: at least 48 bytes.
      assert.ok(sinks.rows - before <= Math.floor(data.length / 48), `case ${i}: ${sinks.rows - before} rows from ${data.length} bytes`);

      if (i % 1000 === 999) {
        const probe = new FlowBatch(16);
        decoder.decode(good, exporter, 1, { room: () => probe });
        assert.equal(probe.length, goodFlows.length, `after case ${i}`);
        goodFlows.forEach((e: Record<string, string | number>, k: number) => {
          assert.equal(probe.getIp('src_addr', k), e.SrcAddr);
          assert.equal(probe.getIp('dst_addr', k), e.DstAddr);
          assert.equal(probe.cols.bytes[k], Number(e.Bytes) * Number(e.SamplingRate));
          assert.equal(probe.cols.in_if[k], e.InIf ?? 0);
        });
      }
    }
    const s = decoder.stats;
    assert.equal(s.malformed.internal_error, 0);
    assert.equal(s.datagrams, CASES + CASES / 1000);
    const hit = MALFORMED_REASONS.filter((reason) => s.malformed[reason] > 0);
    for (const reason of ['short_datagram', 'bad_version', 'bad_agent_address', 'sample_overrun', 'sample_count', 'sample_truncated', 'record_overrun', 'record_count', 'record_truncated', 'bad_address', 'zero_sampling_rate'] as const) {
      assert.ok(hit.includes(reason), `no case hit ${reason}: ${JSON.stringify(s.malformed)}`);
    }
    assert.ok(s.malformedTotal > CASES / 4);
    assert.ok(s.flows > CASES / 4, 'most mutations still leave decodable samples');
    assert.ok(mutatedBytes > 0);
    // The decoder keeps no per-datagram state: the heap must not grow with the case count.
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 256 * 1024 * 1024);
  });

  it('keeps counter rows apart and bounded too', () => {
    const r = rng(7);
    const counters = new CounterList();
    const decoder = new SflowDecoder({ counters });
    const src = fs.readFileSync(testdata('logstash-codec-sflow', 'datagrams', 'sflow_counters_sample.dat'));
    let total = 0;
    for (let i = 0; i < 5000; i++) {
      const before = counters.length;
      const data = mutate(src, r);
      decoder.decode(data, exporter, 1, { room: () => new FlowBatch(4) });
      total += counters.length - before;
      assert.ok(counters.length - before <= Math.floor(data.length / (8 + 12 + 8 + 88)));
    }
    assert.equal(decoder.stats.malformed.internal_error, 0);
    assert.ok(total > 0);
  });
});

describe('capture reader under mutated input', () => {
  it('never throws past the file header, and stops cleanly', () => {
    const r = rng(99);
    const src = fs.readFileSync(testdata('akvorado', 'sflow', 'data-1140.pcap'));
    const multi = fs.readFileSync(testdata('pmacct-test-automation', '500-IPFIXv10-BGP-CISCO-SRv6', 'traffic-00.pcap'));
    let packets = 0;
    for (let i = 0; i < 5000; i++) {
      const data = mutate(i % 2 ? src : multi, r);
      try {
        for (const p of readCapture(data)) {
          packets++;
          udpPayload(p);
        }
      } catch (e) {
        assert.ok(e instanceof CaptureFormatError, String(e));
      }
    }
    assert.ok(packets > 0);
  });
});
