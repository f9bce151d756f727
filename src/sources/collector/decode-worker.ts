// Decoder thread: unpacks chunks of datagrams, decodes them (template state for the exporters
// routed here lives here), and posts full batches back by transferring their buffers.

import { parentPort, workerData } from 'node:worker_threads';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { FlowBatch } from '../../schema/batch.js';
import { ExporterDecoder } from '../exporter-decoder.js';
import { CounterList, type InterfaceCounterRecord } from '../sflow/index.js';
import { BatchCollector } from '../source.js';
import { forEachDatagram } from './chunk.js';

export interface DecodeWorkerData {
  samplingRate: number;
  templateTimeoutMs: number;
  batchRows: number;
  /** Longest a decoded row waits before its partial batch is posted. */
  maxDelayMs: number;
}

export type ToDecoder = { type: 'chunk'; buf: ArrayBuffer; len: number } | { type: 'flush' };

export type FromDecoder =
  | { type: 'batch'; batch: ReturnType<FlowBatch['toShared']> }
  | { type: 'stats'; metrics: ReturnType<MetricsRegistry['snapshot']>; gaps: [string, number][] }
  | { type: 'counters'; rows: InterfaceCounterRecord[] }
  | { type: 'flushed' };

const opts = workerData as DecodeWorkerData;
const port = parentPort!;
const metrics = new MetricsRegistry();
const gaps = new Map<string, number>();

function post(b: FlowBatch): void {
  const desc = b.toShared();
  // Shared columns cross as they are; plain ones are transferred (never copied).
  const transfer = Object.values(desc.buffers).filter((x): x is ArrayBuffer => x instanceof ArrayBuffer);
  port.postMessage({ type: 'batch', batch: desc } satisfies FromDecoder, transfer);
}

const collector = new BatchCollector(post, opts.batchRows);
let counters = new CounterList(256);
const decoder = new ExporterDecoder({
  counters: { room: () => counters.room() },
  netflow: {
    samplingRate: opts.samplingRate,
    templateTimeoutMs: opts.templateTimeoutMs,
    onSequenceGap: (exporter, domain, version, missing) => gaps.set(`${exporter} v${version} domain ${domain}`, (gaps.get(`${exporter} v${version} domain ${domain}`) ?? 0) + missing),
  },
  metrics,
});

let lastPost = Date.now();
function maybeFlush(force: boolean): void {
  if (force || Date.now() - lastPost >= opts.maxDelayMs) {
    collector.flush();
    if (counters.length) {
      port.postMessage({ type: 'counters', rows: counters.records() } satisfies FromDecoder);
      counters = new CounterList(256);
    }
    lastPost = Date.now();
  }
}

port.on('message', (m: ToDecoder) => {
  if (m.type === 'chunk') {
    forEachDatagram(m.buf, m.len, (payload, exporter, _port, ts) => decoder.decode(payload, exporter, ts, collector));
    maybeFlush(false);
  } else {
    maybeFlush(true);
    port.postMessage({ type: 'flushed' } satisfies FromDecoder);
  }
});

const timer = setInterval(() => {
  maybeFlush(false);
  port.postMessage({ type: 'stats', metrics: metrics.snapshot(), gaps: [...gaps] } satisfies FromDecoder);
  gaps.clear();
}, Math.min(250, opts.maxDelayMs));
timer.unref();
