// The exporter collector: UDP listeners on the receiving thread, decoding on worker threads.
// The receiving thread only copies each datagram into a chunk for the decoder that owns its
// exporter (so template state stays in one place), and turns decoded batches into pipeline
// input. Kernel receive drops and per-exporter sequence gaps are reported on /metrics and in
// the logs.

import dgram from 'node:dgram';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { FlowBatch } from '../../schema/batch.js';
import type { InterfaceCounterRecord } from '../sflow/index.js';
import { parseIp } from '../../schema/ip.js';
import { InputError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { ChunkWriter } from './chunk.js';
import { parseEndpoint, type CollectorConfig, type Endpoint } from './config.js';
import type { DecodeWorkerData, FromDecoder, ToDecoder } from './decode-worker.js';

interface ExporterRoute {
  words: Uint32Array;
  decoder: number;
}

interface Decoder {
  worker: Worker;
  chunk: ChunkWriter;
  flushWaiters: (() => void)[];
}

/** Sums the kernel's per-socket drop counters for a local UDP port (/proc/net/udp{,6}). */
export function kernelDrops(port: number): number {
  let total = 0;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      if (cols[1].endsWith(`:${hexPort}`)) total += Number(cols[cols.length - 1]) || 0;
    }
  }
  return total;
}

export class Collector {
  readonly name = 'collector';
  private sockets: { socket: dgram.Socket; endpoint: Endpoint }[] = [];
  private decoders: Decoder[] = [];
  private routes = new Map<string, ExporterRoute>();
  private flushTimer?: NodeJS.Timeout;
  private gapLog = new Map<string, number>();
  private datagrams = 0;
  private readonly endpoints: Endpoint[];

  constructor(
    private readonly cfg: CollectorConfig,
    private readonly pipeline: Pipeline,
    private readonly metrics: MetricsRegistry,
    private readonly log: Logger,
    /** Where interface counters (sFlow counter samples) go. */
    private readonly onCounters?: (rows: InterfaceCounterRecord[]) => void,
  ) {
    this.endpoints = cfg.listen.map((l) => {
      const e = parseEndpoint(l);
      if (!e) throw new InputError(`collectors.listen: '${l}' is not host:port (e.g. "[::]:2055" or "0.0.0.0:6343")`);
      return e;
    });
  }

  /** The ports actually bound (port 0 in the config picks a free one). */
  get ports(): number[] {
    return this.sockets.map((s) => s.socket.address().port);
  }

  async start(): Promise<void> {
    const workerUrl = new URL('./decode-worker.js', import.meta.url);
    for (let i = 0; i < this.cfg.decoders; i++) {
      const data: DecodeWorkerData = { samplingRate: this.cfg.sampling_rate, templateTimeoutMs: this.cfg.template_timeout_s * 1000, batchRows: 16384, maxDelayMs: 200 };
      const worker = new Worker(workerUrl, { workerData: data });
      const d: Decoder = { worker, chunk: new ChunkWriter(), flushWaiters: [] };
      worker.on('message', (m: FromDecoder) => this.onDecoded(i, d, m));
      worker.on('error', (e) => {
        this.log.error({ err: e }, 'decoder thread failed');
        // Nobody waits forever on a thread that is gone.
        d.flushWaiters.splice(0).forEach((f) => f());
      });
      worker.on('exit', () => d.flushWaiters.splice(0).forEach((f) => f()));
      this.decoders.push(d);
    }
    for (const ep of this.endpoints) await this.bind(ep);
    this.flushTimer = setInterval(() => this.sendAll(), 20);
    this.flushTimer.unref();
    this.registerMetrics();
    this.log.info({ ports: this.ports, decoders: this.decoders.length }, 'collecting NetFlow, IPFIX and sFlow');
  }

  private bind(ep: Endpoint): Promise<void> {
    const v6 = ep.host.includes(':');
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: false, recvBufferSize: this.cfg.receive_buffer_bytes });
    return new Promise((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) =>
        reject(new InputError(`cannot listen on UDP ${v6 ? `[${ep.host}]` : ep.host}:${ep.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message} (change collectors.listen)`)),
      );
      socket.bind(ep.port, ep.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', (e) => this.log.error({ err: e, port: ep.port }, 'UDP socket error'));
        const got = socket.getRecvBufferSize();
        if (got < this.cfg.receive_buffer_bytes)
          this.log.warn({ port: ep.port, asked: this.cfg.receive_buffer_bytes, got }, 'kernel capped the UDP receive buffer; raise net.core.rmem_max to avoid drops in bursts');
        const port = socket.address().port;
        socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, port));
        this.sockets.push({ socket, endpoint: ep });
        resolve();
      });
    });
  }

  private route(address: string): ExporterRoute {
    let r = this.routes.get(address);
    if (!r) {
      const words = parseIp(address) ?? new Uint32Array(4);
      // Exporters spread over decoders by address; the same exporter always lands on the same one.
      const h = (words[3] ^ words[2] ^ words[1] ^ words[0]) >>> 0;
      r = { words, decoder: h % this.decoders.length };
      if (this.routes.size > 100_000) this.routes.clear();
      this.routes.set(address, r);
    }
    return r;
  }

  private receive(msg: Buffer, address: string, port: number): void {
    this.datagrams++;
    const r = this.route(address);
    const d = this.decoders[r.decoder];
    const now = Date.now();
    if (!d.chunk.add(msg, r.words, port, now)) {
      this.send(d);
      d.chunk.add(msg, r.words, port, now);
    }
  }

  private send(d: Decoder): void {
    if (d.chunk.len === 0) return;
    const c = d.chunk.take();
    d.worker.postMessage({ type: 'chunk', buf: c.buf, len: c.len } satisfies ToDecoder, [c.buf]);
  }

  private sendAll(): void {
    for (const d of this.decoders) this.send(d);
  }

  private onDecoded(index: number, d: Decoder, m: FromDecoder): void {
    switch (m.type) {
      case 'batch':
        this.pipeline.offer(FlowBatch.fromShared(m.batch), 'collector');
        break;
      case 'stats':
        this.metrics.setExternal(`decoder${index}`, m.metrics);
        for (const [key, missing] of m.gaps) this.reportGap(key, missing);
        break;
      case 'counters':
        this.onCounters?.(m.rows);
        break;
      case 'flushed':
        d.flushWaiters.splice(0).forEach((f) => f());
        break;
    }
  }

  private reportGap(key: string, missing: number): void {
    this.metrics.counter('flowlogs_exporter_sequence_missing_total', 'Records (v5, IPFIX) or export packets (v9) lost in transit, by exporter and domain, from sequence numbers').inc({ exporter: key }, missing);
    // One log line per exporter and domain per minute at most.
    const last = this.gapLog.get(key) ?? 0;
    if (Date.now() - last > 60_000) {
      this.gapLog.set(key, Date.now());
      this.log.warn({ exporter: key, missing }, 'exporter sequence gap: flows lost between the exporter and this collector');
    }
  }

  private registerMetrics(): void {
    const m = this.metrics;
    const received = m.counter('flowlogs_udp_datagrams_total', 'Datagrams received on the collector sockets');
    const drops = m.counter('flowlogs_udp_kernel_drops_total', 'Datagrams the kernel dropped on a collector socket (receive buffer full), by port');
    m.onCollect(() => {
      received.set({}, this.datagrams);
      for (const p of new Set(this.ports)) drops.set({ port: String(p) }, kernelDrops(p));
    });
  }

  /** Waits until every datagram received so far has been decoded and offered to the pipeline. */
  async flush(): Promise<void> {
    this.sendAll();
    await Promise.all(
      this.decoders.map(
        (d) =>
          new Promise<void>((resolve) => {
            d.flushWaiters.push(resolve);
            d.worker.postMessage({ type: 'flush' } satisfies ToDecoder);
          }),
      ),
    );
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.socket.close(() => r()))));
    this.sockets = [];
    await this.flush();
    await Promise.all(this.decoders.map((d) => d.worker.terminate()));
    this.decoders = [];
  }
}
