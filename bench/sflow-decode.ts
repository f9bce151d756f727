// sFlow decode speed on one core: datagrams already in memory (the real captures, mostly the
// overflowd switch's 1204-byte datagrams of ~6 samples), decoded into a reused FlowBatch, so the
// figure is the decoder's alone: no socket, no allocation of batches, no downstream work.

import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { FlowBatch } from '../src/schema/batch.js';
import { readCapture } from '../src/sources/pcap/capture.js';
import { udpPayload } from '../src/sources/pcap/udp.js';
import { SflowDecoder } from '../src/sources/sflow/decoder.js';
import { InterfaceCounterBatch } from '../src/sources/sflow/interface-counters.js';
import { testdata } from '../test/support/paths.js';

function stream(): Array<{ data: Uint8Array; src: Uint32Array }> {
  const files = [testdata('overflowd', 'sflow.pcap'), ...fs.readdirSync(testdata('akvorado', 'sflow')).map((f) => testdata('akvorado', 'sflow', f))];
  const out: Array<{ data: Uint8Array; src: Uint32Array }> = [];
  for (const f of files) {
    for (const p of readCapture(fs.readFileSync(f))) {
      const u = udpPayload(p);
      if (u) out.push({ data: Uint8Array.from(u.payload), src: u.src });
    }
  }
  return out;
}

export async function run(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const datagrams = stream();
  const batch = new FlowBatch(8192);
  const counterBatch = new InterfaceCounterBatch(1024);
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
  const counters = {
    room: () => {
      if (counterBatch.full) counterBatch.reset();
      return counterBatch;
    },
  };
  const decoder = new SflowDecoder({ counters });
  const pass = () => {
    for (let i = 0; i < datagrams.length; i++) decoder.decode(datagrams[i].data, datagrams[i].src, 1_700_000_000_000, sink);
  };
  for (let i = 0; i < 20; i++) pass();

  const flowsBefore = decoder.stats.flows;
  const datagramsBefore = decoder.stats.datagrams;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < 3000) {
    pass();
    elapsed = performance.now() - t0;
  }
  const flows = decoder.stats.flows - flowsBefore;
  const dgrams = decoder.stats.datagrams - datagramsBefore;
  if (rows + batch.length < flows) throw new Error('rows lost');
  const seconds = elapsed / 1000;
  return [
    { name: 'sflow decode', value: Math.round(flows / seconds), unit: 'flows/s' },
    { name: 'sflow decode datagrams', value: Math.round(dgrams / seconds), unit: 'datagrams/s' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
