// flowlogs collect: the collector role past one machine. UDP listeners and decoders (the
// `collectors` section) feed the same pipeline as the server (enrichment), and every batch
// goes to the bus (the `bus` section: NATS JetStream) through a disk queue instead of a store.
// Stateless apart from that queue: run as many as the exporters need.

import os from 'node:os';
import path from 'node:path';
import { busConfig, collectRoleConfig } from '../bus/config.js';
import { BusPublisher } from '../bus/publisher.js';
import { startStatusServer } from '../bus/status-http.js';
import { loadConfig, section } from '../config/load.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { assemblePipeline } from '../pipeline/assemble.js';
import type { FlowBatch } from '../schema/batch.js';
import { Collector } from '../sources/collector/collector.js';
import { collectorConfig } from '../sources/collector/config.js';
import type { FlowStore, StoreStats } from '../store/store.js';
import { InputError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { parseFlags, str, type Io, type Verb } from './args.js';
import { untilSignal } from './signals.js';

const FLAGS = {
  config: { type: 'string', short: 'c' },
  name: { type: 'string' },
  queue: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** The pipeline's store in this role: appends go to the bus; nothing is kept to query. */
export function busAsStore(publisher: BusPublisher): FlowStore {
  const none = () => Promise.reject(new InputError('the collect role keeps no store: query through flowlogs serve'));
  return {
    dialect: 'clickhouse',
    start: async () => {},
    stop: async () => {},
    append: (b: FlowBatch) => publisher.publish(b),
    flush: async () => {},
    flows: none,
    sql: none,
    applyRetention: none,
    stats: (): StoreStats => ({ appendedRows: 0, bufferedRows: publisher.queuedRows, files: 0, bytesOnDisk: 0 }),
  };
}

export const collect: Verb = {
  name: 'collect',
  summary: 'collector role: receive NetFlow/IPFIX/sFlow and publish batches to NATS JetStream',
  usage: `flowlogs collect [--config FILE] [--name NAME] [--queue DIR]

  Sections read: collectors (listeners, decoders), enrich, bus (NATS), collect (this role).
  --config FILE   the deployment's YAML configuration (FLOWLOGS_<SECTION>__<KEY> overrides)
  --name NAME     this collector's name, unique in the deployment (default: the host name)
  --queue DIR     disk queue for batches NATS has not taken yet (default collect.queue_dir)`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('collect', argv, FLAGS, false);
    const cfg = loadConfig(str(p, 'config'));
    const log = createLogger(str(p, 'log-level'));
    const bus = section(cfg, 'bus', busConfig);
    const role = section(cfg, 'collect', collectRoleConfig);
    const collectors = section(cfg, 'collectors', collectorConfig);
    const name = str(p, 'name') ?? role.name ?? os.hostname().replace(/[^A-Za-z0-9_-]/g, '-');
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new InputError(`flowlogs collect: --name must be letters, digits, - and _, got '${name}'`);
    const metrics = new MetricsRegistry();
    const publisher = new BusPublisher({ bus, name, queueDir: path.resolve(str(p, 'queue') ?? role.queue_dir), queueMaxBytes: role.queue_max_bytes, metrics, log });
    await publisher.start();
    const pipeline = assemblePipeline({ store: busAsStore(publisher), metrics, log, config: cfg });
    const collector = new Collector({ ...collectors, enabled: true }, pipeline, metrics, log);
    let status;
    try {
      await collector.start();
      status = await startStatusServer(role.metrics_listen, metrics, () => ({ role: 'collect', name, queuedRecords: publisher.queuedRows }));
    } catch (e) {
      await collector.stop().catch(() => {});
      await publisher.stop(0);
      throw e;
    }
    io.err.write(`flowlogs collect ${name}: ${collectors.listen.join(', ')} → ${Array.isArray(bus.url) ? bus.url.join(',') : bus.url} (${bus.stream})${status ? `  metrics ${status.url}/metrics` : ''}\n`);
    await untilSignal();
    await collector.stop();
    await pipeline.drain();
    await publisher.stop();
    await status?.close();
    log.info('collector stopped; undelivered batches stay in the queue for the next start');
    return 0;
  },
};
