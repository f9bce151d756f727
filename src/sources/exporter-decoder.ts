// One entry point for exporter datagrams of any protocol: the payload says which decoder it
// needs (NetFlow v5/v9, IPFIX or sFlow v5); anything else is counted and skipped.

import type { MetricsRegistry } from '../metrics/registry.js';
import { detectProtocol, type ExportProtocol } from './detect.js';
import { NetflowDecoder, type NetflowDecoderOptions } from './netflow/index.js';
import { SflowDecoder, type CounterSink } from './sflow/index.js';
import type { BatchSink } from './source.js';

export interface ExporterDecoderOptions {
  netflow?: Omit<NetflowDecoderOptions, 'metrics'>;
  counters?: CounterSink;
  metrics?: MetricsRegistry;
}

export class ExporterDecoder {
  readonly netflow: NetflowDecoder;
  readonly sflow: SflowDecoder;
  /** Datagrams whose first bytes match no supported protocol. */
  unknown = 0;
  readonly byProtocol: Record<ExportProtocol, number> = { netflow5: 0, netflow9: 0, ipfix: 0, sflow5: 0 };

  constructor(opts: ExporterDecoderOptions = {}) {
    this.netflow = new NetflowDecoder({ ...opts.netflow, metrics: opts.metrics });
    this.sflow = new SflowDecoder({ metrics: opts.metrics, counters: opts.counters });
    if (opts.metrics) {
      const m = opts.metrics.counter('flowlogs_datagrams_unknown_total', 'Datagrams that are neither NetFlow, IPFIX nor sFlow');
      opts.metrics.onCollect(() => m.set({}, this.unknown));
    }
  }

  /** Decodes one datagram; returns the protocol it was, or undefined when unrecognised. */
  decode(data: Uint8Array, exporter: Uint32Array, receivedMs: number, sink: BatchSink): ExportProtocol | undefined {
    const p = detectProtocol(data);
    if (p === undefined) {
      this.unknown++;
      return undefined;
    }
    this.byProtocol[p]++;
    if (p === 'sflow5') this.sflow.decode(data, exporter, receivedMs, sink);
    else this.netflow.decode(data, exporter, receivedMs, sink);
    return p;
  }

  get flows(): number {
    return this.netflow.stats.flows + this.sflow.stats.flows;
  }
}
