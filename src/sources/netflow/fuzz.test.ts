// Seeded, deterministic fuzzing over the real datagrams of the test data: bit flips, truncation,
// lying length fields, template ids reused with other layouts, zero-length and huge fields,
// floods of options records, made-up exporters and domains. 100,000+ cases per protocol. The
// decoder must never throw (a caught throw shows as malformed.internal_error), must stay within
// its caps, must count what it refused by reason, and must still decode a good datagram after.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FlowBatch } from '../../schema/batch.js';
import { parseIp } from '../../schema/ip.js';
import { testdata } from '../../../test/support/paths.js';
import { dataSet, ipfixDatagram, optionsTemplateSet, record, v9Datagram } from './datagram-builder.js';
import { NetflowDecoder, type NetflowDecoderOptions } from './decoder.js';
import { captureDatagrams } from './reference-decode.js';

const CASES = 100_000;

/** mulberry32: small, fast, and the same sequence for a seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): Record<5 | 9 | 10, Uint8Array[]> {
  const out: Record<5 | 9 | 10, Uint8Array[]> = { 5: [], 9: [], 10: [] };
  const add = (d: Uint8Array) => {
    const v = (d[0] << 8) | d[1];
    if (v === 5 || v === 9 || v === 10) out[v].push(d);
  };
  const dats = testdata('logstash-codec-netflow', 'captures');
  for (const f of fs.readdirSync(dats).sort()) add(new Uint8Array(fs.readFileSync(path.join(dats, f))));
  const bins = testdata('python-netflow-v9-softflowd', 'packets');
  for (const f of fs.readdirSync(bins).sort()) add(new Uint8Array(fs.readFileSync(path.join(bins, f))));
  const pcaps = [
    ...fs
      .readdirSync(testdata('akvorado', 'netflow'))
      .sort()
      .map((f) => testdata('akvorado', 'netflow', f)),
    testdata('pktvisor', 'nf9.pcap'),
    ...['100-IPFIXv10-CISCO', '101-NFv9-CISCO-cust_primitives', '104-IPFIXv10-IPv6-CISCO-sampling_option', '500-IPFIXv10-BGP-CISCO-SRv6'].map((t) => testdata('pmacct-test-automation', t, 'traffic-00.pcap')),
  ];
  for (const p of pcaps) for (const g of captureDatagrams(p)) add(g.payload);
  return out;
}

/** Offsets of the set headers of a v9/IPFIX datagram (as far as its lengths can be followed). */
function setOffsets(d: Uint8Array): number[] {
  const out: number[] = [];
  let p = ((d[0] << 8) | d[1]) === 9 ? 20 : 16;
  while (p + 4 <= d.length && out.length < 64) {
    out.push(p);
    const len = (d[p + 2] << 8) | d[p + 3];
    if (len < 4) break;
    p += len;
  }
  return out;
}

function put16(d: Uint8Array, o: number, v: number): void {
  if (o + 1 < d.length) {
    d[o] = (v >>> 8) & 255;
    d[o + 1] = v & 255;
  }
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 16, 255, 256, 0x7fff, 0xfffe, 0xffff];

/** One mutated copy of `src`. */
function mutate(src: Uint8Array, rnd: () => number, version: number): Uint8Array {
  let d = Uint8Array.from(src);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const at = () => Math.floor(rnd() * d.length);
  switch (Math.floor(rnd() * 8)) {
    case 0: {
      // Bit flips.
      const n = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < n && d.length > 0; i++) d[at()] ^= 1 << Math.floor(rnd() * 8);
      break;
    }
    case 1:
      // Truncation.
      d = d.subarray(0, at());
      break;
    case 2: {
      // A lying length: the header's count/length or a set's length.
      const sets = setOffsets(d);
      const o = version === 5 || sets.length === 0 || rnd() < 0.3 ? 2 : pick(sets) + 2;
      put16(d, o, rnd() < 0.5 ? pick(LENGTHS) : Math.floor(rnd() * 65536));
      break;
    }
    case 3: {
      // A template field's length made zero or huge (or a data set read with it).
      for (const s of setOffsets(d)) {
        const id = (d[s] << 8) | d[s + 1];
        if (id > 3) continue;
        const first = s + 4 + (id === 1 ? 6 : id === 3 ? 6 : 4);
        const o = first + 4 * Math.floor(rnd() * 8) + 2;
        put16(d, o, pick([0, 0xffff, 0xfffe, 0x8000, 1, 3]));
        break;
      }
      break;
    }
    case 4: {
      // A template id reused with another layout: a field's type or length changed, id kept.
      for (const s of setOffsets(d)) {
        const id = (d[s] << 8) | d[s + 1];
        if (id > 3) continue;
        // Or a new id for the first template, so the cache fills up.
        if (rnd() < 0.5) put16(d, s + 4, 256 + Math.floor(rnd() * 4096));
        else {
          const o = s + 4 + (id === 1 || id === 3 ? 6 : 4) + 4 * Math.floor(rnd() * 6);
          put16(d, o, Math.floor(rnd() * 400));
          put16(d, o + 2, 1 + Math.floor(rnd() * 20));
        }
        break;
      }
      break;
    }
    case 5: {
      // Another observation domain / source id (or v5 engine): state per domain must stay capped.
      const o = version === 5 ? 20 : version === 9 ? 16 : 12;
      put16(d, o + (version === 5 ? 0 : 2), Math.floor(rnd() * 65536));
      break;
    }
    case 6: {
      // Splice: the head of this datagram on the tail of another copy of itself, shifted.
      const cut = at();
      const from = Math.floor(rnd() * d.length);
      const out = new Uint8Array(Math.min(65535, cut + d.length - from));
      out.set(d.subarray(0, cut));
      out.set(d.subarray(from, from + out.length - cut), cut);
      d = out;
      break;
    }
    default: {
      // Random bytes over a random span.
      const o = at();
      const n = Math.min(d.length - o, 1 + Math.floor(rnd() * 32));
      for (let i = 0; i < n; i++) d[o + i] = Math.floor(rnd() * 256);
    }
  }
  return d;
}

/** A flood of options records with random sampler ids (the sampler table must stay capped). */
function optionsFlood(version: 9 | 10, rnd: () => number): Uint8Array {
  const scope = [{ id: version === 9 ? 1 : 149, length: 4 }];
  const opts = [
    { id: 48, length: 4 },
    { id: 34, length: 4 },
  ];
  const recs = Array.from({ length: 100 }, () => record([...scope, ...opts], [0, Math.floor(rnd() * 2 ** 32), 1 + Math.floor(rnd() * 5000)]));
  const sets = [optionsTemplateSet(version, 300 + Math.floor(rnd() * 4), scope, opts), dataSet(300 + Math.floor(rnd() * 4), recs)];
  return version === 9 ? v9Datagram({ uptimeMs: 1, unixSecs: 1_700_000_000, sequence: 0, sourceId: 0 }, sets) : ipfixDatagram({ exportSecs: 1_700_000_000, sequence: 0, domain: 0 }, sets);
}

const LIMITS: NetflowDecoderOptions = { maxTemplates: 200, pendingLimit: 50, pendingBytesLimit: 256 * 1024, maxExporters: 8, maxDomainsPerExporter: 16, compileAfterRecords: 32 };

/** Good datagrams (each carries its own templates) and the row count Wireshark gives them. */
const GOOD: Record<5 | 9 | 10, { file: string; rows: number }> = {
  5: { file: 'netflow5.dat', rows: 2 },
  9: { file: 'netflow9_test_valid01.dat', rows: 7 },
  10: { file: 'ipfix.dat', rows: 6 },
};

describe('fuzzing real datagrams', () => {
  const all = corpus();
  for (const version of [5, 9, 10] as const) {
    it(`${CASES} mutated ${version === 10 ? 'IPFIX' : `NetFlow v${version}`} datagrams`, { timeout: 180_000 }, () => {
      const seeds = all[version];
      assert.ok(seeds.length > 0);
      const rnd = prng(0x5eed0000 + version);
      const dec = new NetflowDecoder(LIMITS);
      const batch = new FlowBatch(4096);
      let rows = 0;
      const sink = {
        room: () => {
          if (batch.full) {
            rows += batch.length;
            batch.reset();
          }
          return batch;
        },
      };
      const exporters = Array.from({ length: 24 }, (_, i) => parseIp(`198.18.${i >> 8}.${i & 255}`)!);
      const good = new Uint8Array(fs.readFileSync(testdata('logstash-codec-netflow', 'captures', GOOD[version].file)));
      let now = Date.UTC(2024, 0, 1);
      for (let i = 0; i < CASES; i++) {
        // Time moves on; now and then by more than the template timeout.
        now += i % 5000 === 4999 ? 31 * 60 * 1000 : 10;
        const exporter = exporters[rnd() < 0.9 ? 0 : Math.floor(rnd() * exporters.length)];
        let d: Uint8Array;
        const r = rnd();
        if (version !== 5 && r < 0.01) d = optionsFlood(version, rnd);
        else if (r < 0.25) d = seeds[Math.floor(rnd() * seeds.length)]; // intact: keeps templates coming
        else d = mutate(seeds[Math.floor(rnd() * seeds.length)], rnd, version);
        dec.decode(d, exporter, now, sink);

        if (i % 10_000 === 9_999) {
          // A good datagram after the garbage decodes fully (it carries its templates).
          const before = batch.length;
          const fresh = new FlowBatch(64);
          dec.decode(good, exporters[0], now, { room: () => fresh });
          assert.equal(fresh.length, GOOD[version].rows, `after case ${i}`);
          assert.equal(batch.length, before);
        }
      }
      rows += batch.length;
      const s = dec.stats;
      if (process.env.NETFLOW_FUZZ_STATS) console.log(version, rows, JSON.stringify(s));
      assert.equal(s.malformed.internal_error, 0);
      assert.ok(s.templates.active <= LIMITS.maxTemplates!);
      assert.ok(s.pending.queued <= LIMITS.pendingLimit!);
      assert.ok(rows > CASES / 10, `rows ${rows}`);
      const refused = Object.entries(s.malformed).filter(([, n]) => n > 0);
      assert.ok(refused.length >= (version === 5 ? 2 : 6), JSON.stringify(s.malformed));
      if (version === 5) {
        assert.ok(s.malformed.v5_count > 0);
        assert.ok(s.malformed.short_header > 0);
      } else {
        for (const reason of ['truncated', 'bad_set_length', 'bad_template', 'reserved_set_id'] as const) assert.ok(s.malformed[reason] > 0, reason);
        assert.ok(s.templates.evicted > 0 && s.templates.expired > 0 && s.pending.dropped > 0, JSON.stringify({ templates: s.templates, pending: s.pending }));
      }
      if (version === 10) {
        assert.ok(s.malformed.bad_length > 0 && s.malformed.trailing_bytes > 0 && s.malformed.bad_record > 0);
      }
    });
  }
});
