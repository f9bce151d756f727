// The decoder's counters as the metrics registry exposes them on /metrics.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { parseIp } from '../../schema/ip.js';
import { testdata } from '../../../test/support/paths.js';
import { BatchList } from '../source.js';
import { NetflowDecoder } from './decoder.js';

const dat = (name: string) => new Uint8Array(fs.readFileSync(testdata('logstash-codec-netflow', 'captures', name)));

describe('netflow decoder metrics', () => {
  it('counts datagrams and flows by version, refusals by reason, templates and waiting sets', () => {
    const metrics = new MetricsRegistry();
    const dec = new NetflowDecoder({ metrics });
    const sink = new BatchList();
    const ex = parseIp('192.0.2.1')!;
    dec.decode(dat('netflow5.dat'), ex, 0, sink); // 2 flows
    dec.decode(dat('netflow9_test_valid01.dat'), ex, 0, sink); // 2 templates, 7 flows
    dec.decode(dat('ipfix_test_netscaler_data.dat'), ex, 0, sink); // 4 sets without template
    dec.decode(new Uint8Array([0, 1, 0, 0]), ex, 0, sink); // NetFlow v1 header stub
    dec.decode(new Uint8Array([0, 9, 0]), ex, 0, sink);

    const get = (name: string, labels = {}) => metrics.find(name)!.get(labels);
    assert.equal(get('flowlogs_netflow_datagrams_total', { version: '5' }), 1);
    assert.equal(get('flowlogs_netflow_datagrams_total', { version: '9' }), 1);
    assert.equal(get('flowlogs_netflow_datagrams_total', { version: '10' }), 1);
    assert.equal(get('flowlogs_netflow_flows_total', { version: '5' }), 2);
    assert.equal(get('flowlogs_netflow_flows_total', { version: '9' }), 7);
    assert.equal(get('flowlogs_netflow_malformed_total', { reason: 'unsupported_version' }), 1);
    assert.equal(get('flowlogs_netflow_malformed_total', { reason: 'short_header' }), 1);
    const text = metrics.render();
    assert.match(text, /^flowlogs_netflow_templates 2$/m);
    assert.match(text, /^flowlogs_netflow_pending_sets 4$/m);
    assert.equal(dec.stats.flows, 9);
  });
});
