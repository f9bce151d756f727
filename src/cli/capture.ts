// flowlogs capture: the probe. Aggregates packets (capture files, or live interfaces through
// tcpdump) into flow records per interface and window, with verdicts from the inventory's
// security groups and ACLs; writes them to the store through the pipeline (so flow logs
// apply) or as JSON Lines / CSV to stdout.

import fs from 'node:fs';
import path from 'node:path';
import { StaticInventory, dataDirInventory } from '../inventory/current-inventory.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { loadInventory } from '../inventory/load.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { Ingest } from '../pipeline/assemble.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { FlowBatch } from '../schema/batch.js';
import { RecordWriter } from '../schema/formats.js';
import { CaptureFormatError, CaptureStats, readCaptureFile } from '../sources/pcap/index.js';
import { LiveCapture, type TcpdumpStats } from '../sources/probe/live-capture.js';
import { Probe, SKIP_REASONS, type NoDataMode } from '../sources/probe/probe.js';
import { BatchCollector } from '../sources/source.js';
import { storeConfig } from '../store/config.js';
import { openStore } from '../store/open.js';
import type { FlowStore } from '../store/store.js';
import { InputError, errorMessage } from '../util/errors.js';
import { int, list, oneOf, parseFlags, str, type Io, type Verb } from './args.js';

export interface CaptureRun {
  files: string[];
  interfaces: string[];
  /** mirror: each interface sees every packet once (SPAN/TAP); vm: each is the host side of one VM's interface. */
  portMode: 'mirror' | 'vm';
  windowSeconds: number;
  inventory?: InventoryIndex;
  /** Records to stdout in this format; undefined: into the store at `data`. */
  format?: 'jsonl' | 'csv';
  data: string;
  maxFlows: number;
  nodata: NoDataMode;
  /** Live: stop after this many seconds (0: until interrupted). */
  durationSeconds: number;
  exporter?: string;
  bufferKiB: number;
  filter?: string;
  signal?: AbortSignal;
  /** The whole configuration: records are enriched, copied to sinks and inspected as the server does. */
  config?: LoadedConfig;
  /** Live: called once every tcpdump is listening. */
  onListening?: () => void;
}

export interface CaptureSummary {
  packets: number;
  counted: number;
  records: number;
  nodata: number;
  skipdata: number;
  skipped: Record<string, number>;
  tcpdump: Array<{ capture: string } & TcpdumpStats>;
}

async function openWriter(data: string): Promise<FlowStore> {
  const store = openStore(storeConfig.parse({ data, flush_ms: 200 }), 'writer');
  try {
    await store.start();
  } catch (e) {
    const m = /in use by flowlogs process (\d+)/.exec(errorMessage(e));
    if (m) throw new InputError(`data directory ${path.resolve(data)} is in use by flowlogs process ${m[1]} (a running server?): stop it, or write records to stdout with --format jsonl`);
    throw e;
  }
  return store;
}

export async function runCapture(o: CaptureRun, io: Io): Promise<CaptureSummary> {
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => {});
  };
  let store: FlowStore | undefined;
  let ingest: Ingest | undefined;
  let writer: RecordWriter | undefined;
  let deliver: (b: FlowBatch) => void;
  if (o.format) {
    const w = new RecordWriter(io.out, o.format);
    writer = w;
    deliver = (b) => track(w.write(b));
  } else {
    store = await openWriter(o.data);
    // The same ingest as the server: flow logs, enrichment, sinks, detectors.
    ingest = new Ingest({ store, metrics: new MetricsRegistry(), config: o.config ?? loadConfig(undefined, {}), dataDir: path.resolve(o.data), inventory: new StaticInventory(o.inventory) });
    await ingest.start();
    const p = ingest.pipeline;
    deliver = (b) => track(p.push(b, 'probe'));
  }
  const collector = new BatchCollector(deliver, 8192);
  const probe = new Probe({ sink: collector, inventory: o.inventory, windowSeconds: o.windowSeconds, maxFlows: o.maxFlows, nodata: o.nodata, exporter: o.exporter, onWindow: () => collector.flush() });
  const tcpdumps: CaptureSummary['tcpdump'] = [];
  try {
    if (o.files.length) {
      for (const file of o.files) {
        const port = probe.addPort(path.basename(file), 'both');
        const stats = new CaptureStats();
        try {
          for await (const pkt of readCaptureFile(file, stats)) {
            probe.packet(pkt.data, 0, pkt.data.length, pkt.origLen, pkt.tsMs, pkt.linkType, port);
            if (pending.size > 8) await Promise.race(pending);
            if (o.signal?.aborted) break;
          }
        } catch (e) {
          if (e instanceof CaptureFormatError) throw new InputError(e.message);
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`${file}: no such file`);
          throw e;
        }
        if (stats.truncated) io.err.write(`${file}: capture ends inside a packet record; the packets before it were used\n`);
        if (stats.corrupt) io.err.write(`${file}: ${stats.corrupt}; reading stopped there\n`);
      }
      probe.finish();
    } else {
      const captures: LiveCapture[] = [];
      for (const iface of o.interfaces) {
        const sides = o.portMode === 'vm' ? ([['in', 'from'], ['out', 'to']] as const) : ([[undefined, 'both']] as const);
        for (const [direction, side] of sides) {
          const port = probe.addPort(iface, side);
          captures.push(new LiveCapture({ iface, direction, bufferKiB: o.bufferKiB, filter: o.filter }, (b, off, len, orig, sec, usec, link) => probe.packetAt(b, off, len, orig, sec, usec, link, port)));
        }
      }
      try {
        await Promise.all(captures.map((c) => c.start()));
      } catch (e) {
        await Promise.all(captures.map((c) => c.stop().catch(() => undefined)));
        throw new InputError(errorMessage(e));
      }
      o.onListening?.();
      const ticker = setInterval(() => probe.tick(Date.now(), 1500), 250);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          o.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = o.durationSeconds > 0 ? setTimeout(done, o.durationSeconds * 1000) : undefined;
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
        o.signal?.addEventListener('abort', done);
      });
      clearInterval(ticker);
      for (const c of captures) tcpdumps.push({ capture: c.label, ...(await c.stop()) });
      probe.finish();
    }
  } finally {
    collector.flush();
    await Promise.all([...pending]);
    if (ingest) await ingest.stop();
    if (store) await store.stop();
    writer?.finish();
  }
  const s = probe.stats;
  return { packets: s.packets, counted: s.counted, records: s.records, nodata: s.nodataRecords, skipdata: s.skipdataRecords, skipped: { ...s.skipped }, tcpdump: tcpdumps };
}

export const captureVerb: Verb = {
  name: 'capture',
  summary: 'aggregate packets (capture files or live interfaces) into flow records: the probe',
  usage: `flowlogs capture FILE.pcap|FILE.pcapng... | --interface IF [--interface IF…] [flags]

  Records per interface (ENI) and 5-tuple per window, with packets, bytes, TCP flags, first and
  last packet, and the security-group/ACL verdict. With an inventory, packets are attributed to
  ENIs by MAC and address (egress on the sender's ENI, ingress on the receiver's); without one,
  each flow is recorded once per window under the capture's name.
  --interface IF        capture live with tcpdump (repeatable)
  --port-mode M         mirror (default): IF sees every packet once (SPAN/TAP port);
                        vm: IF is the host side of one VM's interface (frames from and to it)
  --window S            aggregation window, 1s to 10m (default 60s)
  --inventory FILE      YAML/JSON inventory (default: the one imported into --data, if any)
  --format jsonl|csv    records to stdout instead of the store
  --data DIR            data directory of the store (default ./data); its flow logs apply
  --max-flows N         flow-table entries per window before an early write (SKIPDATA; default 1000000)
  --nodata M            NODATA records for: seen (ENIs seen so far, default), all (every ENI), none
  --duration S          live: stop after S seconds (default: at Ctrl-C)
  --buffer KIB          live: kernel capture buffer (default 65536)
  --filter EXPR         live: pcap filter expression
  --exporter ADDR       this probe's address, written as each record's exporter`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('capture', argv, {
      interface: { type: 'string', multiple: true },
      'port-mode': { type: 'string' },
      window: { type: 'string' },
      inventory: { type: 'string' },
      format: { type: 'string' },
      data: { type: 'string' },
      'max-flows': { type: 'string' },
      nodata: { type: 'string' },
      duration: { type: 'string' },
      buffer: { type: 'string' },
      filter: { type: 'string' },
      exporter: { type: 'string' },
      config: { type: 'string', short: 'c' },
    });
    const interfaces = list(p, 'interface');
    if (interfaces.length && p.positionals.length) throw new InputError('flowlogs capture: give capture files or --interface, not both');
    if (!interfaces.length && !p.positionals.length) throw new InputError('flowlogs capture: give capture files (.pcap, .pcapng) or --interface IF');
    const windowText = str(p, 'window') ?? '60';
    const wm = /^(\d+)(s|m)?$/.exec(windowText);
    const windowSeconds = wm ? Number(wm[1]) * (wm[2] === 'm' ? 60 : 1) : NaN;
    if (!(windowSeconds >= 1 && windowSeconds <= 600)) throw new InputError(`flowlogs capture: --window must be 1s to 10m, got '${windowText}'`);
    const data = str(p, 'data') ?? './data';
    const formatText = str(p, 'format');
    const format = formatText === undefined ? undefined : oneOf(p, 'format', 'capture', ['jsonl', 'csv'] as const, 'jsonl');
    let inventory: InventoryIndex | undefined;
    const invFile = str(p, 'inventory');
    if (invFile) inventory = loadInventory(invFile);
    else if (fs.existsSync(dataDirInventory(path.resolve(data)))) inventory = loadInventory(dataDirInventory(path.resolve(data)));
    const summary = await runCapture(
      {
        files: p.positionals,
        interfaces,
        config: loadConfig(str(p, 'config')),
        portMode: oneOf(p, 'port-mode', 'capture', ['mirror', 'vm'] as const, 'mirror'),
        windowSeconds,
        inventory,
        format,
        data,
        maxFlows: int(p, 'max-flows', 'capture', 1, 100_000_000) ?? 1_000_000,
        nodata: oneOf(p, 'nodata', 'capture', ['seen', 'all', 'none'] as const, 'seen'),
        durationSeconds: int(p, 'duration', 'capture', 0, 365 * 86400) ?? 0,
        bufferKiB: int(p, 'buffer', 'capture', 1024, 4 * 1024 * 1024) ?? 65536,
        filter: str(p, 'filter'),
        exporter: str(p, 'exporter'),
      },
      io,
    );
    const skipped = SKIP_REASONS.filter((r) => summary.skipped[r] > 0).map((r) => `${r} ${summary.skipped[r]}`);
    io.err.write(
      `${summary.packets} packets, ${summary.counted} in records, ${summary.records} records` +
        (summary.nodata ? ` (${summary.nodata} NODATA)` : '') +
        (summary.skipdata ? `, ${summary.skipdata} SKIPDATA records (flow table full: raise --max-flows)` : '') +
        (skipped.length ? `, not counted: ${skipped.join(', ')}` : '') +
        (format ? '' : `; stored in ${path.resolve(data)}`) +
        '\n',
    );
    for (const t of summary.tcpdump) if (t.droppedByKernel > 0) io.err.write(`tcpdump ${t.capture}: ${t.droppedByKernel} packets dropped by the kernel (raise --buffer)\n`);
    return 0;
  },
};
