// The running service: store, pipeline, HTTP API and the sources feeding them, wired from
// configuration with explicit dependencies, started in order and stopped in reverse.

import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serverConfig } from '../api/config.js';
import { buildApi, isLoopback } from '../api/server.js';
import { TokenStore } from '../api/tokens.js';
import { detectionSections } from '../alerts/threat-detection.js';
import { busConfig, type BusConfig } from '../bus/config.js';
import { BusFeed } from '../bus/feed.js';
import { section, type LoadedConfig } from '../config/load.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { Ingest } from '../pipeline/assemble.js';
import type { InventoryIndex } from '../inventory/index.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { storeConfig } from '../store/config.js';
import type { DuckDbStore } from '../store/duckdb/store.js';
import { openStore } from '../store/open.js';
import type { FlowStore } from '../store/store.js';
import { Collector } from '../sources/collector/collector.js';
import { collectorConfig } from '../sources/collector/config.js';
import { errorMessage, InputError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { VERSION } from './version.js';

export interface ServiceOverrides {
  host?: string;
  port?: number;
  data?: string;
  /** A remote store URL (clickhouse://…) instead of the config's. */
  store?: string;
  /** false: no UDP collectors whatever the config says. */
  collectors?: boolean;
  /** The network, for detectors (bandwidth caps, VPC blocks). */
  inventory?: InventoryIndex;
}

/** Something the service starts and stops with itself (collectors, the demo feed). */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Service {
  readonly metrics = new MetricsRegistry();
  store!: FlowStore;
  pipeline!: Pipeline;
  ingest?: Ingest;
  tokens!: TokenStore;
  private app?: FastifyInstance;
  collector?: Collector;
  /** Over ClickHouse with a bus: where the detectors' flows come from. */
  detectionFeed?: BusFeed;
  private components: Component[] = [];
  private retentionTimer?: NodeJS.Timeout;
  url = '';
  dataDir = '';

  constructor(
    private readonly cfg: LoadedConfig,
    private readonly overrides: ServiceOverrides,
    readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const server = { ...section(this.cfg, 'server', serverConfig) };
    if (this.overrides.host) server.host = this.overrides.host;
    if (this.overrides.port !== undefined) server.port = this.overrides.port;
    const storeCfg = { ...section(this.cfg, 'store', storeConfig) };
    if (this.overrides.data) storeCfg.data = this.overrides.data;
    if (this.overrides.store) storeCfg.url = this.overrides.store;
    this.dataDir = path.resolve(storeCfg.data);

    this.store = openStore(storeCfg, 'writer', this.log);
    await this.store.start();
    try {
      this.tokens = new TokenStore(path.join(this.dataDir, 'tokens.json'));
      const loopback = isLoopback(server.host);
      if (!loopback && this.tokens.count === 0)
        throw new InputError(`binding ${server.host} needs an API token: create one with 'flowlogs token create --name admin --data ${storeCfg.data}' and send it as 'Authorization: Bearer <token>'`);
      this.ingest = new Ingest({ store: this.store, metrics: this.metrics, log: this.log, config: this.cfg, dataDir: this.dataDir, inventory: this.overrides.inventory, live: true });
      this.pipeline = this.ingest.pipeline;
      await this.ingest.start();
      this.registerStoreMetrics();
      this.app = await buildApi({ version: VERSION, store: this.store, pipeline: this.pipeline, alerts: this.ingest.detection, flowLogs: this.ingest.flowLogs.registry, inventory: this.ingest.inventorySource, dataDir: this.dataDir, metrics: this.metrics, log: this.log, tokens: this.tokens, requireToken: !loopback || this.tokens.count > 0 });
      await this.app.listen({ host: server.host, port: server.port });
      const addr = this.app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : server.port;
      this.url = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${port}`;
      const collect = section(this.cfg, 'collectors', collectorConfig);
      if (collect.enabled && this.overrides.collectors !== false) {
        const store = this.store as DuckDbStore;
        this.collector = new Collector(collect, this.pipeline, this.metrics, this.log, store.counterLog ? (rows) => {
          store.counterLog.add(rows);
          void store.counterLog.flush().catch((e: unknown) => this.log.error({ err: e }, 'writing interface counters failed'));
        } : undefined);
        this.components.unshift(this.collector);
      }
      // Over ClickHouse the flows arrive through the bus, not through this pipeline: the
      // detectors read them there.
      if (this.store.dialect === 'clickhouse' && this.cfg.raw.bus !== undefined && detectionSections(this.cfg).alerts.enabled) {
        this.detectionFeed = this.feedDetectors(section(this.cfg, 'bus', busConfig));
        this.components.push(this.detectionFeed);
      }
      for (const c of this.components) await c.start();
      if (storeCfg.retention_days > 0) {
        const run = () =>
          (this.store as DuckDbStore)
            .applyRetention(storeCfg.retention_days)
            .then((r) => r.removedFiles && this.log.info(r, 'retention removed old flows'))
            .catch((e: unknown) => this.log.error({ err: e }, 'retention failed'));
        void run();
        this.retentionTimer = setInterval(run, 3600_000);
        this.retentionTimer.unref();
      }
      this.log.info({ url: this.url, data: this.dataDir }, 'flowlogs is serving');
    } catch (e) {
      for (const c of this.components) await c.stop().catch(() => {});
      await this.ingest?.stop().catch(() => {});
      await this.app?.close().catch(() => {});
      await this.store.stop().catch(() => {});
      throw e;
    }
  }

  add(c: Component): void {
    this.components.push(c);
  }

  private feedDetectors(bus: BusConfig): BusFeed {
    const detection = this.ingest!.detection;
    return new BusFeed({
      bus,
      consumer: bus.detect_consumer ?? `detect-${os.hostname().replace(/[^A-Za-z0-9_-]/g, '-')}`,
      metrics: this.metrics,
      log: this.log,
      onBatch: async (batch) => {
        // Collectors do not look addresses up in threat lists; the detectors need `threat`.
        detection.stage.process(batch);
        // A detector that fails on a batch must not hold the feed back (the pipeline does the same).
        await detection.engine.consume(batch).catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'detection on a bus batch failed'));
      },
    });
  }

  private registerStoreMetrics(): void {
    const m = this.metrics;
    const files = m.gauge('flowlogs_store_files', 'Parquet files holding flow records');
    const bytes = m.gauge('flowlogs_store_bytes', 'Bytes of flow records on disk');
    const buffered = m.gauge('flowlogs_store_buffered_rows', 'Rows accepted by the store but not yet durable');
    m.onCollect(() => {
      const s = this.store.stats();
      files.set({}, s.files);
      bytes.set({}, s.bytesOnDisk);
      buffered.set({}, s.bufferedRows);
    });
  }

  /** Stops sources first, then lets everything they produced reach the disk. */
  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    for (const c of [...this.components].reverse()) {
      await c.stop().catch((e: unknown) => this.log.error({ err: e, component: c.name }, 'stopping failed'));
    }
    await this.app?.close();
    await this.ingest?.stop();
    await this.store.stop();
    this.log.info('flowlogs stopped; everything received was written');
  }
}
