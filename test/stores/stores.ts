// The stores the shared suites run on: the embedded DuckDB store in a temporary directory and
// the ClickHouse store on a server these tests start (Debian's 18.16 on 127.0.0.1), alone or as
// a two-shard cluster. Each opened store gets its own directory or database.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { FlowStore } from '../../src/store/store.js';
import { startClickHouse, type TestClickHouse } from '../clickhouse/server.js';

export interface OpenedStore {
  store: FlowStore;
  /** Makes everything appended visible to every query path (DuckDB: compacts, building rollups). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreKind {
  name: string;
  /** Starts whatever servers the kind needs. */
  setup(): Promise<void>;
  open(): Promise<OpenedStore>;
  teardown(): Promise<void>;
}

export function duckdbKind(): StoreKind {
  return {
    name: 'duckdb',
    async setup() {},
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-stores-'));
      const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
      await store.start();
      return {
        store,
        settle: async () => {
          await store.compact();
        },
        close: async () => {
          await store.stop();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    async teardown() {},
  };
}

let databases = 0;

export function clickhouseKind(shards = 1): StoreKind {
  let ch: TestClickHouse | undefined;
  return {
    name: shards > 1 ? `clickhouse (${shards} shards)` : 'clickhouse',
    async setup() {
      ch = await startClickHouse(shards);
    },
    async open() {
      const store = new ClickHouseStore({ url: ch!.storeUrl(`t${process.pid}_${++databases}`) });
      await store.start();
      return {
        store,
        settle: async () => {},
        close: async () => {
          await store.stop();
        },
      };
    },
    async teardown() {
      await ch?.stop();
    },
  };
}
