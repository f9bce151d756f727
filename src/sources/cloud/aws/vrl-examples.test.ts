import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../../test/support/paths.js';
import { parseText } from '../test-helpers.js';
import { parseLogFormat } from './text.js';

interface Example {
  title: string;
  source: string;
  return: Record<string, string | number | null>;
}

/** The string arguments of `parse_aws_vpc_flow_log!(value[, format])` in VRL source. */
function args(source: string): string[] {
  return [...source.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

// Vector's output names → our fields; what they do not list here has no field in our record.
const MAP: Record<string, { field: string; absent: string | number; value?: (v: string | number) => string | number }> = {
  version: { field: 'version', absent: 0 },
  account_id: { field: 'account_id', absent: '' },
  interface_id: { field: 'interface_id', absent: '' },
  instance_id: { field: 'instance_id', absent: '' },
  vpc_id: { field: 'vpc_id', absent: '' },
  subnet_id: { field: 'subnet_id', absent: '' },
  srcaddr: { field: 'src_addr', absent: '::' },
  dstaddr: { field: 'dst_addr', absent: '::' },
  srcport: { field: 'src_port', absent: 0 },
  dstport: { field: 'dst_port', absent: 0 },
  protocol: { field: 'protocol', absent: 0 },
  packets: { field: 'packets', absent: 0 },
  bytes: { field: 'bytes', absent: 0 },
  start: { field: 'start', absent: 0 },
  end: { field: 'end', absent: 0 },
  action: { field: 'action', absent: 'ACCEPT' },
  log_status: { field: 'log_status', absent: 'OK' },
  tcp_flags: { field: 'tcp_flags', absent: 0 },
  flow_direction: { field: 'direction', absent: 'ingress' },
  reject_reason: { field: 'rule_id', absent: '', value: (v) => (v === 'BPA' ? 'aws:block-public-access' : `aws:${String(v).toLowerCase()}`) },
};

test('every Vector parse_aws_vpc_flow_log example gives the same values (default, custom, v5, v11 formats)', () => {
  const doc = JSON.parse(fs.readFileSync(testdata('vrl', 'parse_aws_vpc_flow_log.json'), 'utf8')) as { examples: Example[] };
  assert.equal(doc.examples.length, 4);
  for (const ex of doc.examples) {
    const [line, format] = args(ex.source);
    const { records, problems } = parseText('aws', line + '\n', { fields: format ? parseLogFormat(format) : undefined });
    assert.equal(problems.total, 0, ex.title);
    assert.equal(records.length, 1, ex.title);
    const r = records[0] as Record<string, unknown>;
    let compared = 0;
    for (const [k, v] of Object.entries(ex.return)) {
      const m = MAP[k];
      if (!m) continue;
      const want = v === null ? m.absent : m.value ? m.value(v) : v;
      assert.equal(r[m.field], want, `${ex.title}: ${k}`);
      compared++;
    }
    assert.ok(compared >= 4, ex.title);
    // Packet-level addresses are kept where they differ from the interface-level ones.
    if (ex.return.pkt_srcaddr !== undefined) {
      const keep = (pkt: unknown, iface: unknown) => (pkt === null || pkt === iface ? '::' : pkt);
      assert.equal(r.nat_src_addr, keep(ex.return.pkt_srcaddr, ex.return.srcaddr), ex.title);
      assert.equal(r.nat_dst_addr, keep(ex.return.pkt_dstaddr, ex.return.dstaddr), ex.title);
    }
  }
});

test('the NAT-gateway example keeps the real destination behind the NAT in nat_dst_addr', () => {
  const { records } = parseText('aws', '- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\n', {
    fields: parseLogFormat('instance_id interface_id srcaddr dstaddr pkt_srcaddr pkt_dstaddr'),
  });
  assert.equal(records[0].dst_addr, '10.0.0.220');
  assert.equal(records[0].nat_dst_addr, '203.0.113.5');
  // Without a version column the record takes the newest field's version (pkt-* are v3).
  assert.equal(records[0].version, 3);
});
