// What a record's elements become in a row, for encodings the captures do not all show: every
// flow-time encoding, sampling announced in the record, in a sampler table or nowhere, RFC 5103
// biflows, firewall verdicts, ICMP type/code, post-NAT IPv6, variable-length fields.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRecord } from '../../schema/batch.js';
import { parseIp } from '../../schema/ip.js';
import { BatchList } from '../source.js';
import { dataSet, type FieldDef, type FieldValue, ipfixDatagram, optionsTemplateSet, record, templateSet, v5Datagram, v9Datagram } from './datagram-builder.js';
import { NetflowDecoder, type NetflowDecoderOptions } from './decoder.js';
import { PEN_REVERSE } from './elements.js';
import { READER_MODES } from './reference-decode.js';
import { VARLEN } from './template.js';

const EXPORTER = parseIp('203.0.113.9')!;
const EXPORT_SECS = 1_714_564_800; // 2024-05-01T12:00:00Z
const EXPORT_MS = EXPORT_SECS * 1000;
/** Seconds from 1900 (NTP) to 1970 (unix). */
const NTP_OFFSET = 2_208_988_800;

const BASE: FieldDef[] = [
  { id: 8, length: 4 },
  { id: 12, length: 4 },
  { id: 7, length: 2 },
  { id: 11, length: 2 },
  { id: 4, length: 1 },
  { id: 2, length: 8 },
  { id: 1, length: 8 },
];
const base = (proto = 6): FieldValue[] => ['192.0.2.10', '198.51.100.20', 40000, 443, proto, 10, 5000];

for (const mode of READER_MODES) {
  /** Rows from one IPFIX message holding template `fields` and the given records. */
  function ipfix(fields: FieldDef[], records: FieldValue[][], opts: NetflowDecoderOptions = {}, extraSets: Uint8Array[] = []): FlowRecord[] {
    const dec = new NetflowDecoder({ ...mode.options, ...opts });
    const sink = new BatchList();
    const msg = ipfixDatagram({ exportSecs: EXPORT_SECS, sequence: 0, domain: 7 }, [
      ...extraSets,
      templateSet(10, [{ id: 256, fields }]),
      dataSet(
        256,
        records.map((v) => record(fields, v)),
      ),
    ]);
    dec.decode(msg, EXPORTER, EXPORT_MS + 500, sink);
    assert.equal(dec.stats.malformed.internal_error, 0);
    return sink.records();
  }

  describe(`record fields (${mode.name})`, () => {
    it('fills the row identity: version, exporter, interface id from the input ifindex (else output)', () => {
      const f = [...BASE, { id: 10, length: 4 }, { id: 14, length: 4 }];
      const [a, b] = ipfix(f, [
        [...base(), 7, 9],
        [...base(), 0, 9],
      ]);
      assert.equal(a.version, 10);
      assert.equal(a.exporter, '203.0.113.9');
      assert.equal(a.interface_id, '203.0.113.9/7');
      assert.equal(b.interface_id, '203.0.113.9/9');
      assert.deepEqual([a.in_if, a.out_if], [7, 9]);
      assert.equal(a.log_status, 'OK');
    });

    describe('flow times', () => {
      const start = EXPORT_MS - 30_000;
      const end = EXPORT_MS - 1_500;
      const cases: Array<[string, FieldDef[], FieldValue[]]> = [
        ['seconds (150/151)', [{ id: 150, length: 4 }, { id: 151, length: 4 }], [start / 1000, Math.floor(end / 1000)]],
        ['milliseconds (152/153)', [{ id: 152, length: 8 }, { id: 153, length: 8 }], [start, end]],
        [
          'microseconds as NTP (154/155)',
          [
            { id: 154, length: 8 },
            { id: 155, length: 8 },
          ],
          [(start / 1000 + NTP_OFFSET) * 2 ** 32, (end / 1000 + NTP_OFFSET) * 2 ** 32],
        ],
        [
          'nanoseconds as NTP (156/157)',
          [
            { id: 156, length: 8 },
            { id: 157, length: 8 },
          ],
          [(start / 1000 + NTP_OFFSET) * 2 ** 32, (end / 1000 + NTP_OFFSET) * 2 ** 32],
        ],
        ['delta microseconds before export (158/159)', [{ id: 158, length: 4 }, { id: 159, length: 4 }], [30_000_000, 1_500_000]],
      ];
      for (const [name, fields, values] of cases) {
        it(name, () => {
          const [r] = ipfix([...BASE, ...fields], [[...base(), ...values]]);
          const wantEnd = name.startsWith('seconds') ? Math.floor(end / 1000) * 1000 : end;
          assert.equal(r.first_ms, start);
          assert.equal(r.last_ms, wantEnd);
          assert.equal(r.start, Math.floor(start / 1000));
          assert.equal(r.end, Math.ceil(wantEnd / 1000));
        });
      }

      it('sysUpTime (22/21) counts from the options record’s systemInitTimeMilliseconds (160)', () => {
        const init = EXPORT_MS - 3_600_000;
        const opts = optionsTemplateSet(10, 257, [{ id: 149, length: 4 }], [{ id: 160, length: 8 }]);
        const optsData = dataSet(257, [record([{ id: 149, length: 4 }, { id: 160, length: 8 }], [7, init])]);
        const [r] = ipfix([...BASE, { id: 22, length: 4 }, { id: 21, length: 4 }], [[...base(), 3_570_000, 3_598_500]], {}, [opts, optsData]);
        assert.equal(r.first_ms, init + 3_570_000);
        assert.equal(r.last_ms, init + 3_598_500);
      });

      it('sysUpTime without an init time leaves the times unknown and the window at export', () => {
        const [r] = ipfix([...BASE, { id: 22, length: 4 }, { id: 21, length: 4 }], [[...base(), 1000, 2000]]);
        assert.equal(r.first_ms, 0);
        assert.equal(r.last_ms, 0);
        assert.equal(r.start, EXPORT_SECS);
        assert.equal(r.end, EXPORT_SECS);
      });

      it('a start and a duration (161) give the end', () => {
        const [r] = ipfix([...BASE, { id: 152, length: 8 }, { id: 161, length: 4 }], [[...base(), start, 4_250]]);
        assert.equal(r.last_ms, start + 4_250);
      });

      it('v9: uptimes against the header, across the 32-bit wrap', () => {
        const fields = [...BASE, { id: 22, length: 4 }, { id: 21, length: 4 }];
        const dec = new NetflowDecoder(mode.options);
        const sink = new BatchList();
        // Uptime wrapped 2 s ago: First (before the wrap) is 2^32 - 3000, Last is 1500.
        const msg = v9Datagram({ uptimeMs: 2000, unixSecs: EXPORT_SECS, sequence: 1, sourceId: 0 }, [templateSet(9, [{ id: 256, fields }]), dataSet(256, [record(fields, [...base(), 2 ** 32 - 3000, 1500])])]);
        dec.decode(msg, EXPORTER, EXPORT_MS, sink);
        const [r] = sink.records();
        assert.equal(r.first_ms, EXPORT_MS - 5000);
        assert.equal(r.last_ms, EXPORT_MS - 500);
      });
    });

    describe('sampling', () => {
      it('samplingInterval in the record multiplies packets and bytes', () => {
        const [r] = ipfix([...BASE, { id: 34, length: 4 }], [[...base(), 512]]);
        assert.deepEqual([r.sampling_rate, r.packets, r.bytes], [512, 5120, 2_560_000]);
      });

      it('a sampler table from options data, keyed by the record’s selectorId', () => {
        const scope = [{ id: 302, length: 4 }];
        const opt = [
          { id: 305, length: 4 },
          { id: 306, length: 4 },
        ];
        const sets = [optionsTemplateSet(10, 257, scope, opt), dataSet(257, [record([...scope, ...opt], [1, 1, 99]), record([...scope, ...opt], [2, 1, 999])])];
        const rows = ipfix([...BASE, { id: 302, length: 4 }], [[...base(), 2], [...base(), 1], [...base(), 3]], {}, sets);
        // 1 taken then 999 skipped: 1 in 1000; 1 in 100; an unknown selector: unsampled.
        assert.deepEqual(
          rows.map((r) => r.sampling_rate),
          [1000, 100, 1],
        );
        assert.equal(rows[0].packets, 10_000);
      });

      it('samplingSize of samplingPopulation (309/310) is n-out-of-N', () => {
        const scope = [{ id: 302, length: 4 }];
        const opt = [
          { id: 309, length: 4 },
          { id: 310, length: 4 },
        ];
        const sets = [optionsTemplateSet(10, 257, scope, opt), dataSet(257, [record([...scope, ...opt], [5, 1, 256])])];
        const [r] = ipfix([...BASE, { id: 302, length: 4 }], [[...base(), 5]], {}, sets);
        assert.equal(r.sampling_rate, 256);
      });

      it('a rate announced without a sampler id applies to the whole domain', () => {
        const scope = [{ id: 149, length: 4 }];
        const opt = [{ id: 34, length: 4 }];
        const sets = [optionsTemplateSet(10, 257, scope, opt), dataSet(257, [record([...scope, ...opt], [7, 64])])];
        const [r] = ipfix(BASE, [base()], {}, sets);
        assert.equal(r.sampling_rate, 64);
      });

      it('falls back to the configured rate when the exporter announces none', () => {
        const [r] = ipfix(BASE, [base()], { samplingRate: 10 });
        assert.deepEqual([r.sampling_rate, r.packets, r.bytes], [10, 100, 50_000]);
      });

      it('v5: the header’s 14-bit sampling interval', () => {
        const dec = new NetflowDecoder(mode.options);
        const sink = new BatchList();
        const f = { src: '10.1.1.1', dst: '10.2.2.2', packets: 3, bytes: 300, firstUptime: 1000, lastUptime: 2000, srcPort: 1, dstPort: 2, protocol: 17 };
        // Mode bits 01 (deterministic) over an interval of 100.
        dec.decode(v5Datagram({ uptimeMs: 5000, unixSecs: EXPORT_SECS, sequence: 0, samplingInterval: 0x4000 | 100 }, [f]), EXPORTER, EXPORT_MS, sink);
        const [r] = sink.records();
        assert.deepEqual([r.sampling_rate, r.packets, r.bytes], [100, 300, 30_000]);
      });
    });

    it('RFC 5103 biflow: a reverse row with swapped ends and the reverse counters', () => {
      const fields = [...BASE, { id: 6, length: 1 }, { id: 10, length: 4 }, { id: 14, length: 4 }, { id: 2, length: 8, pen: PEN_REVERSE }, { id: 1, length: 8, pen: PEN_REVERSE }, { id: 6, length: 1, pen: PEN_REVERSE }];
      const rows = ipfix(fields, [
        [...base(), 0x02, 3, 4, 8, 12_000, 0x12],
        [...base(), 0x02, 3, 4, 0, 0, 0],
      ]);
      assert.equal(rows.length, 3);
      const [fwd, rev, lone] = rows;
      assert.deepEqual([fwd.src_addr, fwd.dst_addr, fwd.src_port, fwd.dst_port, fwd.packets, fwd.tcp_flags], ['192.0.2.10', '198.51.100.20', 40000, 443, 10, 2]);
      assert.deepEqual([rev.src_addr, rev.dst_addr, rev.src_port, rev.dst_port, rev.packets, rev.bytes, rev.tcp_flags], ['198.51.100.20', '192.0.2.10', 443, 40000, 8, 12_000, 0x12]);
      assert.deepEqual([rev.in_if, rev.out_if, rev.interface_id, rev.protocol], [4, 3, '203.0.113.9/4', 6]);
      // No reverse traffic: no reverse row.
      assert.equal(lone.src_port, 40000);
    });

    describe('action', () => {
      it('firewallEvent 3 (flow denied) is a REJECT; created/deleted are ACCEPT', () => {
        const rows = ipfix([...BASE, { id: 233, length: 1 }], [
          [...base(), 3],
          [...base(), 1],
          [...base(), 2],
        ]);
        assert.deepEqual(
          rows.map((r) => r.action),
          ['REJECT', 'ACCEPT', 'ACCEPT'],
        );
      });

      it('forwardingStatus dropped (status bits 10) is a REJECT, in one byte or four', () => {
        const one = ipfix([...BASE, { id: 89, length: 1 }], [[...base(), 0x80 | 2], [...base(), 0x40], [...base(), 0xc3]]);
        assert.deepEqual(
          one.map((r) => r.action),
          ['REJECT', 'ACCEPT', 'ACCEPT'],
        );
        const four = ipfix([...BASE, { id: 89, length: 4 }], [[...base(), 0x81], [...base(), 0x42]]);
        assert.deepEqual(
          four.map((r) => r.action),
          ['REJECT', 'ACCEPT'],
        );
      });

      it('v9 Cisco ASA NF_F_FW_EVENT (40005) denied is a REJECT', () => {
        const fields = [...BASE, { id: 40005, length: 1 }];
        const dec = new NetflowDecoder(mode.options);
        const sink = new BatchList();
        dec.decode(v9Datagram({ uptimeMs: 1000, unixSecs: EXPORT_SECS, sequence: 0, sourceId: 0 }, [templateSet(9, [{ id: 256, fields }]), dataSet(256, [record(fields, [...base(), 3])])]), EXPORTER, EXPORT_MS, sink);
        assert.equal(sink.records()[0].action, 'REJECT');
      });
    });

    it('ICMP: type and code become dst_port = type × 256 + code; not for TCP', () => {
      const rows = ipfix([...BASE, { id: 32, length: 2 }], [
        [...base(1), (3 << 8) | 1],
        [...base(6), (3 << 8) | 1],
      ]);
      assert.equal(rows[0].dst_port, 0x0301);
      assert.equal(rows[1].dst_port, 443);
      const v6 = ipfix([...BASE, { id: 178, length: 1 }, { id: 179, length: 1 }], [[...base(58), 128, 0]]);
      assert.equal(v6[0].dst_port, 128 * 256);
    });

    it('post-NAT addresses and ports, IPv4 and IPv6', () => {
      const f = [...BASE, { id: 225, length: 4 }, { id: 226, length: 4 }, { id: 227, length: 2 }, { id: 228, length: 2 }];
      const [r] = ipfix(f, [[...base(), '100.64.0.1', '198.51.100.20', 61000, 443]]);
      assert.deepEqual([r.nat_src_addr, r.nat_dst_addr, r.nat_src_port, r.nat_dst_port], ['100.64.0.1', '198.51.100.20', 61000, 443]);
      const f6 = [...BASE, { id: 281, length: 16 }, { id: 282, length: 16 }];
      const [r6] = ipfix(f6, [[...base(), '2001:db8::1', '64:ff9b::c633:6414']]);
      assert.deepEqual([r6.nat_src_addr, r6.nat_dst_addr], ['2001:db8::1', '64:ff9b::c633:6414']);
    });

    it('MACs, VLAN, direction and BGP AS numbers', () => {
      const f = [...BASE, { id: 56, length: 6 }, { id: 80, length: 6 }, { id: 58, length: 2 }, { id: 61, length: 1 }, { id: 16, length: 4 }, { id: 17, length: 4 }];
      const [r] = ipfix(f, [[...base(), '00:11:22:33:44:55', 'aa:bb:cc:dd:ee:ff', 42, 1, 64496, 64511]]);
      assert.deepEqual([r.src_mac, r.dst_mac, r.vlan, r.direction, r.src_asn, r.dst_asn], ['00:11:22:33:44:55', 'aa:bb:cc:dd:ee:ff', 42, 'egress', 64496, 64511]);
    });

    it('variable-length fields, short and with the 255 escape, are skipped by their length', () => {
      const name = { id: 96, length: VARLEN };
      const f = [{ id: 8, length: 4 }, name, { id: 12, length: 4 }, name, { id: 2, length: 4 }];
      const long = new Uint8Array(300).fill(0x61);
      const rows = ipfix(f, [
        ['192.0.2.1', new TextEncoder().encode('https'), '192.0.2.2', long, 7],
        ['192.0.2.3', new Uint8Array(0), '192.0.2.4', new TextEncoder().encode('dns'), 9],
      ]);
      assert.deepEqual(
        rows.map((r) => [r.src_addr, r.dst_addr, r.packets]),
        [
          ['192.0.2.1', '192.0.2.2', 7],
          ['192.0.2.3', '192.0.2.4', 9],
        ],
      );
    });

    it('an unknown enterprise element is skipped by its length', () => {
      const f = [{ id: 8, length: 4 }, { id: 4242, length: 7, pen: 99999 }, { id: 12, length: 4 }];
      const [r] = ipfix(f, [['192.0.2.1', new Uint8Array(7).fill(0xff), '192.0.2.2']]);
      assert.deepEqual([r.src_addr, r.dst_addr], ['192.0.2.1', '192.0.2.2']);
    });

    it('set padding shorter than a record is ignored', () => {
      const dec = new NetflowDecoder(mode.options);
      const sink = new BatchList();
      const msg = ipfixDatagram({ exportSecs: EXPORT_SECS, sequence: 0, domain: 7 }, [templateSet(10, [{ id: 256, fields: BASE }]), dataSet(256, [record(BASE, base()), record(BASE, base())], 32)]);
      dec.decode(msg, EXPORTER, EXPORT_MS, sink);
      assert.equal(sink.length, 2);
      assert.equal(Object.values(dec.stats.malformed).reduce((a, b) => a + b, 0), 0);
    });
  });
}
