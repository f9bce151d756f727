// Sequence numbers count different things per version: v5 and IPFIX count flow records sent
// before this message (RFC 7011 §3.1), v9 counts export packets (RFC 3954 §5.1). A jump forward
// is a gap (with that many records or packets missing); a jump back is an exporter restart.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { parseIp } from '../../schema/ip.js';
import { testdata } from '../../../test/support/paths.js';
import { BatchList } from '../source.js';
import { dataSet, type FieldDef, ipfixDatagram, record, templateSet, v9Datagram } from './datagram-builder.js';
import { NetflowDecoder } from './decoder.js';

const EXPORTER = parseIp('192.0.2.55')!;
const NOW = Date.UTC(2024, 0, 1);

function withSequence(d: Uint8Array, at: number, seq: number): Uint8Array {
  const copy = Uint8Array.from(d);
  new DataView(copy.buffer).setUint32(at, seq);
  return copy;
}

describe('sequence numbers', () => {
  it('v5 counts flows: a jump of 45 past the expected number is 45 missing flows', () => {
    // MikroTik export: 30 records per datagram.
    const v5 = new Uint8Array(fs.readFileSync(testdata('logstash-codec-netflow', 'captures', 'netflow5_test_microtik.dat')));
    const dec = new NetflowDecoder();
    const sink = new BatchList();
    for (const seq of [1000, 1030, 1060 + 45, 1060 + 45 + 30]) dec.decode(withSequence(v5, 16, seq), EXPORTER, NOW, sink);
    assert.deepEqual(dec.stats.sequenceGaps, { gaps: 1, missingFlows: 45, missingDatagrams: 0, resets: 0 });
    dec.decode(withSequence(v5, 16, 5), EXPORTER, NOW, sink);
    assert.equal(dec.stats.sequenceGaps.resets, 1);
  });

  it('v9 counts export packets: 7 then 10 is two packets missing', () => {
    const fields: FieldDef[] = [{ id: 8, length: 4 }];
    const dec = new NetflowDecoder();
    const sink = new BatchList();
    const send = (seq: number, sourceId = 0) =>
      dec.decode(v9Datagram({ uptimeMs: 1, unixSecs: NOW / 1000, sequence: seq, sourceId }, [templateSet(9, [{ id: 256, fields }]), dataSet(256, [record(fields, ['10.0.0.1']), record(fields, ['10.0.0.2'])])]), EXPORTER, NOW, sink);
    send(6);
    send(7);
    send(10);
    // Another source id of the same exporter keeps its own count.
    send(500, 1);
    send(501, 1);
    assert.deepEqual(dec.stats.sequenceGaps, { gaps: 1, missingFlows: 0, missingDatagrams: 2, resets: 0 });
    assert.equal(sink.length, 10);
  });

  it('IPFIX counts data records, options records included', () => {
    const fields: FieldDef[] = [{ id: 8, length: 4 }];
    const dec = new NetflowDecoder();
    const sink = new BatchList();
    const send = (seq: number, n: number) =>
      dec.decode(
        ipfixDatagram({ exportSecs: NOW / 1000, sequence: seq, domain: 3 }, [
          templateSet(10, [{ id: 256, fields }]),
          dataSet(
            256,
            Array.from({ length: n }, (_, i) => record(fields, [`10.0.0.${i + 1}`])),
          ),
        ]),
        EXPORTER,
        NOW,
        sink,
      );
    send(100, 3);
    send(103, 5);
    send(112, 1); // 108 expected: 4 records lost
    assert.deepEqual(dec.stats.sequenceGaps, { gaps: 1, missingFlows: 4, missingDatagrams: 0, resets: 0 });
  });

  it('an IPFIX message whose records could not all be read does not fake a gap', () => {
    const fields: FieldDef[] = [{ id: 8, length: 4 }];
    const dec = new NetflowDecoder();
    const sink = new BatchList();
    // Data of an unknown template: its record count is unknown, so the next number cannot be checked.
    dec.decode(ipfixDatagram({ exportSecs: NOW / 1000, sequence: 50, domain: 3 }, [dataSet(400, [record(fields, ['10.0.0.1'])])]), EXPORTER, NOW, sink);
    dec.decode(ipfixDatagram({ exportSecs: NOW / 1000, sequence: 51, domain: 3 }, [templateSet(10, [{ id: 256, fields }])]), EXPORTER, NOW, sink);
    assert.equal(dec.stats.sequenceGaps.gaps, 0);
  });
});
