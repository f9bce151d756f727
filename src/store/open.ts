// Picks the store from configuration: the embedded DuckDB store on a data directory, or a
// remote engine named by URL.

import { InputError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { ClickHouseStore } from './clickhouse/store.js';
import { isClickHouseUrl } from './clickhouse/url.js';
import type { StoreConfig } from './config.js';
import { DuckDbStore, type StoreMode } from './duckdb/store.js';
import type { FlowStore } from './store.js';

export function openStore(cfg: StoreConfig, mode: StoreMode, log?: Logger): FlowStore {
  if (cfg.url && isClickHouseUrl(cfg.url)) return new ClickHouseStore({ url: cfg.url, log, createSchema: mode === 'writer' });
  if (cfg.url) throw new InputError(`store URL '${cfg.url}': remote stores are not available in this build`);
  return new DuckDbStore({
    dataDir: cfg.data,
    mode,
    log,
    compactEveryMs: cfg.compact_every_s * 1000,
    segments: { flushMs: cfg.flush_ms, encoders: cfg.encoders },
    engine: { threads: cfg.threads, memoryLimit: cfg.memory_limit },
  });
}
