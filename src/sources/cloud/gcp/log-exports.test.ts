import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../../test/support/paths.js';
import { detectFormat } from '../detect-format.js';
import { parseFile, parseText } from '../test-helpers.js';
import { GCP_SAMPLING_UNKNOWN, rfc3339Ms } from './vpc-flows.js';

test('Cloud Logging vpc_flows entries: 5-tuple, counters as strings, RFC 3339 ns times, reporter side', () => {
  const file = testdata('elastic-integrations', 'gcp', 'vpcflow-first7.ndjson');
  assert.equal(detectFormat(fs.readFileSync(file))?.format, 'gcp');
  const { records, problems } = parseFile('gcp', file);
  assert.equal(problems.total, 0);
  // The values are literal in the entries (README): compare every record with its entry.
  const entries = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { jsonPayload: Record<string, any> });
  assert.equal(records.length, 7);
  entries.forEach((e, i) => {
    const p = e.jsonPayload;
    const r = records[i];
    const side = p.reporter === 'SRC' ? 'src' : 'dest';
    assert.equal(r.src_addr, p.connection.src_ip);
    assert.equal(r.dst_addr, p.connection.dest_ip);
    assert.equal(r.src_port, p.connection.src_port);
    assert.equal(r.dst_port, p.connection.dest_port);
    assert.equal(r.protocol, p.connection.protocol);
    assert.equal(r.bytes, Number(p.bytes_sent));
    assert.equal(r.packets, Number(p.packets_sent));
    assert.equal(r.first_ms, Math.floor(rfc3339Ms(p.start_time)));
    assert.equal(r.last_ms, Math.floor(rfc3339Ms(p.end_time)));
    assert.equal(r.direction, p.reporter === 'SRC' ? 'egress' : 'ingress');
    assert.equal(r.instance_id, p[`${side}_instance`].vm_name);
    assert.equal(r.interface_id, p[`${side}_instance`].vm_name);
    assert.equal(r.account_id, p[`${side}_instance`].project_id);
    assert.equal(r.vpc_id, p[`${side}_vpc`].vpc_name);
    assert.equal(r.subnet_id, p[`${side}_vpc`].subnetwork_name);
    assert.equal(r.src_asn, p.src_location?.asn ?? 0);
    assert.equal(r.dst_asn, p.dest_location?.asn ?? 0);
    assert.equal(r.action, 'ACCEPT');
    assert.equal(r.sampling_rate, GCP_SAMPLING_UNKNOWN);
  });
  // Spot values from the first entry, as written in the file.
  assert.deepEqual([records[0].src_addr, records[0].src_port, records[0].dst_addr, records[0].bytes, records[0].packets, records[0].instance_id], ['10.87.40.76', 5601, '203.0.113.12', 1776, 7, 'kibana']);
  assert.equal(records[0].first_ms, Date.UTC(2019, 5, 14, 3, 45, 37, 186));
});

test('foxsec exfiltration sample: comment lines skipped; the alerting session sums to 1,000,009,000 bytes', () => {
  const { records, problems, lines } = parseFile('gcp', testdata('foxsec-pipeline', 'exfiltration1.txt'));
  assert.equal(problems.total, 0);
  assert.equal(lines, 18);
  assert.equal(records.length, 13);
  const from1 = records.filter((r) => r.src_addr === '192.168.1.1');
  const from2 = records.filter((r) => r.src_addr === '192.168.1.2');
  assert.equal(from1.length, 11);
  assert.equal(from2.length, 2);
  for (const r of from1) {
    assert.equal(r.src_port, 22);
    assert.equal(r.dst_addr, '10.0.0.1');
    assert.equal(r.dst_port, 40000);
    assert.equal(r.instance_id, 'instancename');
  }
  // The upstream alert covers the first ten events of 192.168.1.1 (the eleventh is a later session).
  assert.equal(
    from1.slice(0, 10).reduce((n, r) => n + r.bytes, 0),
    1_000_009_000,
  );
  assert.ok(from1.some((r) => r.bytes === 1_000_000_000));
});

test('a JSON array export and entries that are not flow logs', () => {
  const entry = (src: string) => ({ jsonPayload: { connection: { src_ip: src, dest_ip: '10.0.0.2', src_port: 1, dest_port: 2, protocol: 17 }, bytes_sent: 10, packets_sent: '1', start_time: '2024-01-01T00:00:00Z', end_time: '2024-01-01T00:00:05.5Z', reporter: 'DEST' } });
  const text = JSON.stringify([entry('10.0.0.1'), { jsonPayload: { message: 'firewall' } }, entry('2001:db8::1')], null, 2);
  const { records, problems } = parseText('gcp', text);
  assert.equal(records.length, 2);
  assert.equal(records[1].src_addr, '2001:db8::1');
  assert.equal(records[0].end, Date.UTC(2024, 0, 1, 0, 0, 6) / 1000);
  assert.equal(problems.total, 1);
  assert.equal(problems.first[0].where, '[1]');
});
