// Template cache behaviour no capture shows: IPFIX withdrawal, expiry, an id reused with another
// layout, the cap on templates, and data waiting for its template (bounded, counted when dropped).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp } from '../../schema/ip.js';
import { BatchList } from '../source.js';
import { dataSet, type FieldDef, ipfixDatagram, optionsTemplateSet, record, templateSet, v9Datagram, withdrawalSet } from './datagram-builder.js';
import { NetflowDecoder, type NetflowDecoderOptions } from './decoder.js';

const EXPORTER = parseIp('198.51.100.7')!;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const SECS = T0 / 1000;

const V4: FieldDef[] = [
  { id: 8, length: 4 },
  { id: 12, length: 4 },
  { id: 7, length: 2 },
  { id: 11, length: 2 },
  { id: 4, length: 1 },
  { id: 2, length: 4 },
  { id: 1, length: 4 },
];

const flow = (src: string, dst: string, sport: number, dport: number, bytes: number) => record(V4, [src, dst, sport, dport, 6, 1, bytes]);

function run(opts: NetflowDecoderOptions = {}) {
  const dec = new NetflowDecoder(opts);
  const sink = new BatchList(16);
  let seq = 0;
  const send = (sets: Uint8Array[], at = T0) => dec.decode(ipfixDatagram({ exportSecs: at / 1000, sequence: seq++, domain: 1 }, sets), EXPORTER, at, sink);
  return { dec, sink, send, rows: () => sink.records() };
}

describe('template lifecycle', () => {
  it('a withdrawn IPFIX template no longer decodes; its data waits for a new one', () => {
    const { dec, send, rows } = run();
    send([templateSet(10, [{ id: 300, fields: V4 }]), dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1000, 80, 500)])]);
    send([withdrawalSet(300)]);
    send([dataSet(300, [flow('10.0.0.3', '10.0.0.4', 1001, 443, 600)])]);
    assert.equal(rows().length, 1);
    assert.equal(dec.stats.templates.withdrawn, 1);
    assert.equal(dec.stats.pending.queued, 1);
    send([templateSet(10, [{ id: 300, fields: V4 }])]);
    assert.deepEqual(
      rows().map((r) => [r.src_addr, r.dst_port, r.bytes]),
      [
        ['10.0.0.1', 80, 500],
        ['10.0.0.3', 443, 600],
      ],
    );
  });

  it('withdrawing template id 2 drops every data template of the domain, not the options ones', () => {
    const { dec, send } = run();
    send([templateSet(10, [{ id: 300, fields: V4 }, { id: 301, fields: V4.slice(0, 4) }])]);
    // An options template (scope selectorId; samplingPacketInterval): must survive.
    send([optionsTemplateSet(10, 400, [{ id: 302, length: 4 }], [{ id: 305, length: 4 }])]);
    assert.equal(dec.stats.templates.active, 3);
    send([withdrawalSet(2)]);
    assert.equal(dec.stats.templates.withdrawn, 2);
    assert.equal(dec.stats.templates.active, 1);
  });

  it('a template id announced again with another layout decodes with the new one', () => {
    const { dec, send, rows } = run();
    send([templateSet(10, [{ id: 300, fields: V4 }]), dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])]);
    const swapped: FieldDef[] = [V4[1], V4[0], V4[3], V4[2], V4[4], V4[5], V4[6]];
    send([templateSet(10, [{ id: 300, fields: swapped }]), dataSet(300, [record(swapped, ['10.0.0.2', '10.0.0.1', 2, 1, 6, 1, 100])])]);
    assert.equal(dec.stats.templates.changed, 1);
    const r = rows();
    assert.deepEqual([r[1].src_addr, r[1].dst_addr, r[1].src_port, r[1].dst_port], ['10.0.0.1', '10.0.0.2', 1, 2]);
  });

  it('a template not refreshed within the timeout expires and its data waits', () => {
    const { dec, send, rows } = run({ templateTimeoutMs: 60_000 });
    send([templateSet(10, [{ id: 300, fields: V4 }])]);
    send([dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])], T0 + 59_000);
    assert.equal(rows().length, 1);
    send([dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])], T0 + 61_000);
    assert.equal(rows().length, 1);
    assert.equal(dec.stats.templates.expired, 1);
    assert.equal(dec.stats.pending.queued, 1);
  });

  it('a refresh of the same layout keeps the template alive', () => {
    const { dec, send, rows } = run({ templateTimeoutMs: 60_000 });
    send([templateSet(10, [{ id: 300, fields: V4 }])]);
    send([templateSet(10, [{ id: 300, fields: V4 }])], T0 + 50_000);
    send([dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])], T0 + 100_000);
    assert.equal(rows().length, 1);
    assert.equal(dec.stats.templates.received, 2);
    assert.equal(dec.stats.templates.changed, 0);
  });

  it('holds no more templates than maxTemplates, dropping the oldest', () => {
    const { dec, send, rows } = run({ maxTemplates: 3 });
    for (let id = 300; id < 310; id++) send([templateSet(10, [{ id, fields: V4 }])]);
    assert.equal(dec.stats.templates.active, 3);
    assert.equal(dec.stats.templates.evicted, 7);
    send([dataSet(309, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)]), dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])]);
    assert.equal(rows().length, 1);
  });

  it('keeps templates apart per exporter and per observation domain', () => {
    const dec = new NetflowDecoder();
    const sink = new BatchList();
    const other = parseIp('198.51.100.8')!;
    dec.decode(ipfixDatagram({ exportSecs: SECS, sequence: 0, domain: 1 }, [templateSet(10, [{ id: 300, fields: V4 }])]), EXPORTER, T0, sink);
    const data = (domain: number) => ipfixDatagram({ exportSecs: SECS, sequence: 0, domain }, [dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])]);
    dec.decode(data(2), EXPORTER, T0, sink); // other domain, same exporter
    dec.decode(data(1), other, T0, sink); // same domain, other exporter
    assert.equal(sink.length, 0);
    dec.decode(data(1), EXPORTER, T0, sink);
    assert.equal(sink.length, 1);
  });

  it('v9 and IPFIX templates of one exporter do not mix', () => {
    const dec = new NetflowDecoder();
    const sink = new BatchList();
    dec.decode(ipfixDatagram({ exportSecs: SECS, sequence: 0, domain: 0 }, [templateSet(10, [{ id: 300, fields: V4 }])]), EXPORTER, T0, sink);
    dec.decode(v9Datagram({ uptimeMs: 1000, unixSecs: SECS, sequence: 0, sourceId: 0 }, [dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 100)])]), EXPORTER, T0, sink);
    assert.equal(sink.length, 0);
  });
});

describe('data waiting for its template', () => {
  it('keeps at most pendingLimit sets, dropping the oldest and counting them', () => {
    const { dec, send, rows } = run({ pendingLimit: 3 });
    for (let i = 0; i < 5; i++) send([dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1000 + i, 80, 100)])]);
    assert.equal(dec.stats.pending.queued, 3);
    assert.equal(dec.stats.pending.dropped, 2);
    send([templateSet(10, [{ id: 300, fields: V4 }])]);
    // The three newest waited and are decoded in arrival order.
    assert.deepEqual(
      rows().map((r) => r.src_port),
      [1002, 1003, 1004],
    );
    assert.equal(dec.stats.pending.decoded, 3);
    assert.equal(dec.stats.pending.queued, 0);
  });

  it('bounds the bytes held as well as the count', () => {
    const { dec, send } = run({ pendingBytesLimit: 100 });
    for (let i = 0; i < 4; i++) send([dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 3), flow('10.0.0.1', '10.0.0.2', 1, 2, 3)])]);
    // Each set body holds two 21-byte records: four would be 168 bytes.
    assert.equal(dec.stats.pending.queued, 2);
    assert.equal(dec.stats.pending.dropped, 2);
  });

  it('drops sets whose template never came within the timeout', () => {
    const { dec, send, rows } = run({ templateTimeoutMs: 10_000 });
    send([dataSet(300, [flow('10.0.0.1', '10.0.0.2', 1, 2, 3)])]);
    send([templateSet(10, [{ id: 301, fields: V4 }])], T0 + 20_000);
    assert.equal(dec.stats.pending.queued, 0);
    assert.equal(dec.stats.pending.dropped, 1);
    send([templateSet(10, [{ id: 300, fields: V4 }])], T0 + 21_000);
    assert.equal(rows().length, 0);
  });

  it('decodes a data set placed before its template in the same datagram', () => {
    const { send, rows } = run();
    send([dataSet(300, [flow('10.0.0.9', '10.0.0.2', 1, 2, 3)]), templateSet(10, [{ id: 300, fields: V4 }])]);
    assert.equal(rows()[0]?.src_addr, '10.0.0.9');
  });
});
