// One place that builds the ingest side from configuration, so that every ingest path (the
// server's collectors and demo feed, `import`, `capture`, HTTP ingest) enriches, routes and
// inspects records the same way: geo and threat-list enrichment stages, copies to the sinks,
// then the store, then the detectors.

import { detectionSections, ThreatDetection } from '../alerts/threat-detection.js';
import { section, type LoadedConfig } from '../config/load.js';
import { FlowLogsComponent } from '../flowlogs/component.js';
import { flowlogsConfig } from '../flowlogs/config.js';
import { CurrentInventory, inventoryCandidates, inventoryConfig, StaticInventory, type InventorySource } from '../inventory/current-inventory.js';
import type { InventoryIndex } from '../inventory/index.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { FlowStore } from '../store/store.js';
import { sinksConfig } from '../sinks/registry.js';
import { SinkSet } from '../sinks/sink-set.js';
import { silentLogger, type Logger } from '../util/log.js';
import { enrichConfig } from './enrich/config.js';
import { GeoDb } from './enrich/geo-db.js';
import { GeoStage } from './enrich/geo-stage.js';
import { Pipeline } from './pipeline.js';

// The databases take seconds to load: load them once per process.
let geoDb: { key: string; db: GeoDb } | undefined;

function loadGeo(city: boolean, log: Logger): GeoDb {
  const key = city ? 'city' : 'country';
  if (geoDb?.key !== key) {
    const t0 = Date.now();
    geoDb = { key, db: GeoDb.load({ city }) };
    log.info({ ms: Date.now() - t0, ranges: geoDb.db.ranges, city }, 'loaded IP geolocation and AS databases');
  }
  return geoDb.db;
}

export interface IngestOptions {
  store: FlowStore;
  metrics: MetricsRegistry;
  config: LoadedConfig;
  /** The data directory (alerts, baselines and threat-list caches live there). */
  dataDir: string;
  log?: Logger;
  /** A fixed inventory; by default the data directory's, or config `inventory.file`. */
  inventory?: InventoryIndex | InventorySource;
  /** Live sources: detection windows close on idle time, not only on record time. */
  live?: boolean;
}

/**
 * A pipeline with the enrichment stages only: for roles that hand records on (the collector
 * role publishes to the bus; detection runs where records are stored).
 */
export function assemblePipeline(o: { store: FlowStore; metrics: MetricsRegistry; config: LoadedConfig; log?: Logger }): Pipeline {
  const log = o.log ?? silentLogger;
  const pipeline = new Pipeline(o.store, o.metrics, undefined, log);
  const enrich = section(o.config, 'enrich', enrichConfig);
  if (enrich.geo) {
    const stage = new GeoStage(loadGeo(enrich.city, log));
    pipeline.addStage(stage);
    const hits = o.metrics.counter('flowlogs_geo_lookups_total', 'Address lookups by the geo enrichment, by result');
    o.metrics.onCollect(() => {
      hits.set({ result: 'cache' }, stage.hits);
      hits.set({ result: 'database' }, stage.misses);
    });
  }
  return pipeline;
}

/** The pipeline with its stages and consumers, and the components with a lifecycle. */
export class Ingest {
  readonly pipeline: Pipeline;
  readonly detection: ThreatDetection;
  readonly sinks: SinkSet;
  readonly flowLogs: FlowLogsComponent;
  /** The network the service works with (re-read when the file changes). */
  readonly inventorySource: InventorySource;

  constructor(o: IngestOptions) {
    const log = o.log ?? silentLogger;
    this.pipeline = assemblePipeline({ ...o, log });
    this.inventorySource =
      o.inventory === undefined
        ? new CurrentInventory(inventoryCandidates(o.dataDir, section(o.config, 'inventory', inventoryConfig)), (m) => log.warn(m))
        : 'onChange' in o.inventory
          ? o.inventory
          : new StaticInventory(o.inventory);
    // Flow logs first: they decide which records exist (per flow log, window, traffic type).
    this.flowLogs = new FlowLogsComponent({ pipeline: this.pipeline, dataDir: o.dataDir, inventory: this.inventorySource, metrics: o.metrics, log }, section(o.config, 'flowlogs', flowlogsConfig));
    this.sinks = new SinkSet(section(o.config, 'sinks', sinksConfig), { dataDir: o.dataDir, metrics: o.metrics, log, lookup: this.flowLogs.registry });
    this.sinks.attach(this.pipeline);
    this.detection = new ThreatDetection({ ...detectionSections(o.config), dataDir: o.dataDir, metrics: o.metrics, log, store: o.store, inventory: this.inventorySource, live: o.live });
    this.detection.attach(this.pipeline);
  }

  /** Before any source runs: a sink takes only what arrives after it started. */
  async start(): Promise<void> {
    await this.sinks.start();
    await this.flowLogs.start();
    await this.detection.start();
  }

  /** Waits for everything accepted to be stored, then lets the detectors judge what is open. */
  async stop(): Promise<void> {
    // Open flow-log windows are closed into the pipeline first, then everything drains.
    await this.flowLogs.stop();
    await this.pipeline.drain();
    await this.detection.stop();
    await this.sinks.stop();
  }
}
