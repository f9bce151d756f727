// One place that builds the pipeline from configuration, so that every ingest path (the
// server's collectors and demo feed, `import`, `capture`, HTTP ingest) enriches, routes and
// inspects records the same way.

import { section, type LoadedConfig } from '../config/load.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { FlowStore } from '../store/store.js';
import type { Logger } from '../util/log.js';
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

export interface AssembleOptions {
  store: FlowStore;
  metrics: MetricsRegistry;
  log: Logger;
  config: LoadedConfig;
}

export function assemblePipeline(o: AssembleOptions): Pipeline {
  const pipeline = new Pipeline(o.store, o.metrics, undefined, o.log);
  const enrich = section(o.config, 'enrich', enrichConfig);
  if (enrich.geo) {
    const stage = new GeoStage(loadGeo(enrich.city, o.log));
    pipeline.addStage(stage);
    const hits = o.metrics.counter('flowlogs_geo_lookups_total', 'Address lookups by the geo enrichment, by result');
    o.metrics.onCollect(() => {
      hits.set({ result: 'cache' }, stage.hits);
      hits.set({ result: 'database' }, stage.misses);
    });
  }
  return pipeline;
}
