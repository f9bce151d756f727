// flowlogs write: the writer role. A durable JetStream consumer (shared by every writer of the
// group) takes batches off the bus and writes them into ClickHouse, a few hundred thousand
// records per INSERT; a batch is acknowledged only once ClickHouse has committed it, and a
// batch that may be there already (redelivered, republished, or retried after a failure) is
// checked by its id first. Any number of writers may run; kill one and the others take over.

import { busConfig, writeRoleConfig } from '../bus/config.js';
import { BusConsumer } from '../bus/consumer.js';
import { startStatusServer } from '../bus/status-http.js';
import { loadConfig, section } from '../config/load.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { ClickHouseStore } from '../store/clickhouse/store.js';
import { isClickHouseUrl } from '../store/clickhouse/url.js';
import { storeConfig } from '../store/config.js';
import { InputError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { parseFlags, str, type Io, type Verb } from './args.js';
import { untilSignal } from './signals.js';

const FLAGS = {
  config: { type: 'string', short: 'c' },
  store: { type: 'string' },
  name: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

export const write: Verb = {
  name: 'write',
  summary: 'writer role: consume batches from NATS JetStream into ClickHouse',
  usage: `flowlogs write [--config FILE] [--store clickhouse://HOST:8123/DB] [--name NAME]

  Sections read: bus (NATS), store (url), write (this role).
  --store URL     ClickHouse to write to (default store.url); cluster options as for serve
  --name NAME     this writer's name in NATS monitoring (default: write-<pid>)`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('write', argv, FLAGS, false);
    const cfg = loadConfig(str(p, 'config'));
    const log = createLogger(str(p, 'log-level'));
    const bus = section(cfg, 'bus', busConfig);
    const role = section(cfg, 'write', writeRoleConfig);
    const url = str(p, 'store') ?? section(cfg, 'store', storeConfig).url;
    if (!url || !isClickHouseUrl(url)) throw new InputError(`flowlogs write: needs a ClickHouse store: --store clickhouse://host:8123/db (or store.url in the config)`);
    for (const n of role.partitions ?? []) if (n >= bus.partitions) throw new InputError(`write.partitions: ${n} is not below bus.partitions (${bus.partitions})`);
    const metrics = new MetricsRegistry();
    const store = new ClickHouseStore({ url, log });
    // The schema is created here too, so writers can start before anything else.
    await store.start();
    const skipped = metrics.counter('flowlogs_write_skipped_records_total', 'Records not written because ClickHouse already had them (same batch id)').with();
    const consumer = new BusConsumer({
      bus,
      consumer: role.consumer,
      partitions: role.partitions,
      groupRows: role.insert_rows,
      groupWaitMs: role.insert_wait_ms,
      maxAckPending: role.max_ack_pending,
      ackWaitS: role.ack_wait_s,
      name: str(p, 'name') ?? `flowlogs-write-${process.pid}`,
      metrics,
      log,
      handler: async (batches) => {
        const check = new Set(batches.filter((b) => b.maybeDuplicate).map((b) => b.wire.id));
        const r = await store.insert(
          batches.map((b) => b.wire),
          check,
        );
        if (r.skipped) skipped.inc(r.skipped);
      },
    });
    consumer.start();
    const status = await startStatusServer(role.metrics_listen, metrics, () => ({ role: 'write', lag: consumer.lag }));
    io.err.write(`flowlogs write: ${Array.isArray(bus.url) ? bus.url.join(',') : bus.url} (${bus.stream}, consumer ${role.consumer}) → ${store.url.endpoint}/${store.url.database}${status ? `  metrics ${status.url}/metrics` : ''}\n`);
    await untilSignal();
    await consumer.stop();
    await store.stop();
    await status?.close();
    return 0;
  },
};
