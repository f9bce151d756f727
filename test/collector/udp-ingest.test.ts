import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Service } from '../../src/cli/service.js';
import { ExporterDecoder } from '../../src/sources/exporter-decoder.js';
import { readCaptureFile, udpPayload } from '../../src/sources/pcap/index.js';
import { BatchList } from '../../src/sources/source.js';
import { CounterList } from '../../src/sources/sflow/index.js';
import type { DuckDbStore } from '../../src/store/duckdb/store.js';
import { silentLogger } from '../../src/util/log.js';
import { testdata } from '../support/paths.js';

async function payloads(file: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const pkt of readCaptureFile(file)) {
    const u = udpPayload(pkt);
    if (u) out.push(u.payload.slice());
  }
  return out;
}

test('datagrams sent over UDP are decoded on worker threads and stored', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-udp-'));
  const service = new Service(
    { raw: { server: { port: 0 }, store: { data: dir, flush_ms: 50 }, collectors: { listen: ['127.0.0.1:0', '[::1]:0'], decoders: 2 } }, source: 'test' },
    {},
    silentLogger,
  );
  await service.start();
  try {
    const [v4port, v6port] = service.collector!.ports;
    // Real exporter traffic: sFlow from an HP switch and NetFlow v9 templates + data from a router.
    const sflow = await payloads(testdata('overflowd', 'sflow.pcap'));
    const nf = [];
    for (const f of ['options-template.pcap', 'options-data.pcap', 'template.pcap', 'data.pcap']) nf.push(...(await payloads(testdata('akvorado', 'netflow', f))));
    const counters = new CounterList();
    const expected = new ExporterDecoder({ counters });
    const list = new BatchList();
    for (const d of sflow) expected.decode(d, new Uint32Array([0, 0, 0xffff, 0x7f000001]), 0, list);
    for (const d of nf) expected.decode(d, new Uint32Array([0, 0, 0, 1]), 0, list);
    const v4 = dgram.createSocket('udp4');
    const v6 = dgram.createSocket('udp6');
    for (const d of sflow) {
      await new Promise<void>((r) => v4.send(d, v4port, '127.0.0.1', () => r()));
    }
    for (const d of nf) await new Promise<void>((r) => v6.send(d, v6port, '::1', () => r()));
    v4.close();
    v6.close();
    // Wait for the datagrams to arrive, then for them to be decoded and durable.
    const deadline = Date.now() + 20_000;
    let n = 0;
    while (Date.now() < deadline) {
      await service.collector!.flush();
      await service.pipeline.drain();
      n = Number((await service.store.sql('SELECT count(*) FROM flows', { from: 0, to: 2 ** 32 })).rows[0][0]);
      if (n >= list.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(n, list.length, 'every decoded flow is stored, none twice');
    const byVersion = (await service.store.sql('SELECT version, count(*) FROM flows GROUP BY 1 ORDER BY 1', { from: 0, to: 2 ** 32 })).rows;
    assert.deepEqual(byVersion, [
      [5, expected.sflow.stats.flows],
      [9, expected.netflow.stats.flows],
    ]);
    const exporters = (await service.store.sql("SELECT DISTINCT exporter FROM flows WHERE version = 9", { from: 0, to: 2 ** 32 })).rows;
    assert.deepEqual(exporters, [['::1']], 'the exporter is the UDP source address');
    // sFlow counter samples are kept beside the flows, for interface utilisation.
    await service.store.flush();
    const counterFiles = (service.store as DuckDbStore).counterLog.files(0, Date.now() + 86_400_000);
    const counterLines = counterFiles.reduce((n, f) => n + fs.readFileSync(f, 'utf8').trim().split('\n').length, 0);
    assert.equal(counterLines, counters.length);
    const metrics = service.metrics.render();
    assert.match(metrics, new RegExp(`flowlogs_udp_datagrams_total ${sflow.length + nf.length}`));
    assert.match(metrics, /flowlogs_records_stored_total\{source="collector"\} \d+/);
    assert.match(metrics, /flowlogs_udp_kernel_drops_total\{port="\d+"\} 0/);
  } finally {
    await service.stop();
    fs.rmSync(dir, { recursive: true });
  }
});
