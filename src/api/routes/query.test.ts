import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance, DuckDBUUIDValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { MetricsRegistry } from '../../metrics/registry.js';
import { FlowBatch } from '../../schema/batch.js';
import { FIELDS } from '../../schema/fields.js';
import { uuidToIp } from '../../store/duckdb/engine.js';
import { defaultLiteral } from '../../store/duckdb/schema.js';
import { DuckDbStore } from '../../store/duckdb/store.js';
import type { FlowStore, QueryResult, TimeRange } from '../../store/store.js';
import { silentLogger } from '../../util/log.js';
import type { ApiContext } from '../context.js';
import { buildApi, CORE_ROUTES } from '../server.js';
import { TokenStore } from '../tokens.js';
import { queryRoutes, queryRoutesWith, type SqlRowStream, type StreamingSql } from './query.js';

const now = Math.floor(Date.now() / 1000);

// Six records, two tenants: bytes = 100 × i identifies each.
function records(): FlowBatch {
  const b = new FlowBatch(6);
  for (let i = 0; i < 6; i++) {
    b.push({
      account_id: i % 2 ? 'tenant-a' : 'tenant-b',
      interface_id: i === 5 ? 'eni,"odd"' : `eni-${i}`,
      src_addr: i === 3 ? '2001:db8::3' : `10.0.0.${i}`,
      dst_addr: '10.0.1.1',
      dst_port: i < 3 ? 22 : 443,
      protocol: 6,
      bytes: 100 * i,
      packets: i,
      start: now - 60 * i,
      end: now - 60 * i + 60,
      action: i === 4 ? 'REJECT' : 'ACCEPT',
    });
  }
  return b;
}

let dir: string;
let store: DuckDbStore;
let tokens: TokenStore;
let app: FastifyInstance;
let metrics: MetricsRegistry;

function context(s: FlowStore, requireToken = false): ApiContext {
  return { version: 'test', store: s, metrics, log: silentLogger, tokens, requireToken };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-query-api-'));
  store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  await store.append(records());
  tokens = new TokenStore(path.join(dir, 'tokens.json'));
  metrics = new MetricsRegistry();
  app = await buildApi(context(store), [...CORE_ROUTES.filter((r) => r !== queryRoutes), queryRoutesWith({ maxRows: 1000 })]);
});

after(async () => {
  await app.close();
  await store.stop();
  fs.rmSync(dir, { recursive: true });
});

async function post(body: unknown, a: FastifyInstance = app, headers: Record<string, string> = {}) {
  return a.inject({ method: 'POST', url: '/api/query', payload: body as object, headers });
}

interface JsonAnswer {
  columns: { name: string; type: string }[];
  rows: (string | number | boolean | null)[][];
  count: number;
  truncated: boolean;
  error?: string;
}

test('a filter returns whole records, newest first, as a JSON document', async () => {
  const r = await post({ query: 'dst_port:22' });
  assert.equal(r.statusCode, 200);
  assert.match(r.headers['content-type'] as string, /^application\/json/);
  const body = r.json() as JsonAnswer;
  assert.deepEqual(
    body.columns.map((c) => c.name),
    FIELDS.map((f) => f.name),
  );
  assert.deepEqual(body.columns.find((c) => c.name === 'src_addr'), { name: 'src_addr', type: 'ip' });
  const bytes = body.columns.findIndex((c) => c.name === 'bytes');
  assert.deepEqual(
    body.rows.map((row) => row[bytes]),
    [0, 100, 200],
  );
  assert.equal(body.count, 3);
  assert.equal(body.truncated, false);
});

test('an SQL query answers with its own columns', async () => {
  const r = await post({ query: "| SELECT dst_port, count(*) AS flows, sum(bytes) AS b WHERE ip_in(src_addr, '10.0.0.0/8') GROUP BY dst_port ORDER BY dst_port" });
  const body = r.json() as JsonAnswer;
  assert.deepEqual(body.columns, [
    { name: 'dst_port', type: 'num' },
    { name: 'flows', type: 'num' },
    { name: 'b', type: 'num' },
  ]);
  assert.deepEqual(body.rows, [
    [22, 3, 300],
    [443, 2, 900],
  ]);
});

test('JSON Lines: one object per row keyed by column', async () => {
  const r = await post({ query: 'action:reject OR src_addr:2001:db8::/32 | SELECT src_addr, action ORDER BY src_addr', format: 'jsonl' });
  assert.equal(r.statusCode, 200);
  assert.match(r.headers['content-type'] as string, /^application\/x-ndjson/);
  assert.deepEqual(
    r.body.trim().split('\n').map((l) => JSON.parse(l)),
    [
      { src_addr: '10.0.0.4', action: 'REJECT' },
      { src_addr: '2001:db8::3', action: 'ACCEPT' },
    ],
  );
});

test('CSV: a header, then rows with RFC 4180 quoting', async () => {
  const r = await post({ query: 'bytes:>=400 | SELECT interface_id, bytes ORDER BY bytes', format: 'csv' });
  assert.match(r.headers['content-type'] as string, /^text\/csv/);
  assert.equal(r.body, 'interface_id,bytes\neni-4,400\n"eni,""odd""",500\n');
  const empty = await post({ query: 'bytes:>100000 | SELECT interface_id', format: 'csv' });
  assert.equal(empty.body, 'interface_id\n');
});

test('the row limit truncates and says so', async () => {
  const r = (await post({ query: '', limit: 4 })).json() as JsonAnswer;
  assert.equal(r.count, 4);
  assert.equal(r.rows.length, 4);
  assert.equal(r.truncated, true);
  const own = (await post({ query: '| SELECT bytes ORDER BY bytes LIMIT 2', limit: 2 })).json() as JsonAnswer;
  assert.deepEqual(own.rows, [[0], [100]]);
  assert.equal(own.truncated, false);
  const zero = (await post({ query: '', limit: 0 })).json() as JsonAnswer;
  assert.deepEqual([zero.count, zero.truncated], [0, true]);
  const over = await post({ query: '', limit: 1001 });
  assert.equal(over.statusCode, 400);
  assert.match(over.json().error, /limit: at most 1000/);
});

test('the time range bounds the records', async () => {
  const r = (await post({ query: '| SELECT count(*)', from: now - 150, to: String(now + 1) })).json() as JsonAnswer;
  assert.deepEqual(r.rows, [[3]]); // starts at now, now-60, now-120
  const iso = (await post({ query: '| SELECT count(*)', from: new Date((now - 30) * 1000).toISOString() })).json() as JsonAnswer;
  assert.deepEqual(iso.rows, [[1]]);
});

test('mistakes in the query get 400 with the column', async () => {
  const r = await post({ query: 'action:REJECT | SELECT scr_addr' });
  assert.equal(r.statusCode, 400);
  assert.deepEqual(r.json(), { error: "col 24: unknown field 'scr_addr', did you mean 'src_addr'?", position: 23, column: 24 });
  const inj = await post({ query: "| SELECT * FROM read_csv('/etc/passwd')" });
  assert.equal(inj.statusCode, 400);
  assert.match(inj.json().error, /only 'flows' can be read/);
  // Caught by the engine rather than the parser: still the caller's mistake.
  const conv = await post({ query: '| SELECT CAST(interface_id AS INTEGER)' });
  assert.equal(conv.statusCode, 400);
  assert.match(conv.json().error, /^the query failed: Conversion Error/);
});

test('bad request bodies get 400 naming the member', async () => {
  const cases: [unknown, RegExp][] = [
    [{ query: '', format: 'xml' }, /format: /],
    [{ query: '', nope: 1 }, /Unrecognized key.*nope|nope/],
    [{ query: 5 }, /query: /],
    [{ query: '', timeout_ms: 0 }, /timeout_ms: /],
    [{ query: '', from: 'yesterday' }, /'yesterday' is not a time/],
  ];
  for (const [body, re] of cases) {
    const r = await post(body);
    assert.equal(r.statusCode, 400, JSON.stringify(body));
    assert.match(r.json().error, re);
  }
});

test('tenant scope: a token limited to accounts sees only their records, whatever the query says', async () => {
  const scoped = await buildApi(context(store, true), CORE_ROUTES);
  try {
    const a = await tokens.create('tenant-a-reader', ['tenant-a']);
    const nobody = await tokens.create('nobody', []);
    const all = await tokens.create('admin');
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    assert.equal((await post({ query: '' }, scoped)).statusCode, 401);
    const seen = (await post({ query: "| SELECT account_id, count(*) WHERE account_id = 'tenant-b' OR TRUE GROUP BY 1" }, scoped, auth(a))).json() as JsonAnswer;
    assert.deepEqual(seen.rows, [['tenant-a', 3]]);
    const filtered = (await post({ query: 'account_id:tenant-b' }, scoped, auth(a))).json() as JsonAnswer;
    assert.equal(filtered.count, 0);
    assert.deepEqual(((await post({ query: '| SELECT count(*)' }, scoped, auth(nobody))).json() as JsonAnswer).rows, [[0]]);
    assert.deepEqual(((await post({ query: '| SELECT count(*)' }, scoped, auth(all))).json() as JsonAnswer).rows, [[6]]);
  } finally {
    await scoped.close();
  }
});

test('outcomes are counted', async () => {
  const text = metrics.render();
  assert.match(text, /flowlogs_api_queries_total\{outcome="ok"\} [1-9]/);
  assert.match(text, /flowlogs_api_queries_total\{outcome="bad_query"\} [1-9]/);
  assert.match(text, /flowlogs_api_query_rows_total [1-9]/);
});

/**
 * A store that streams from its own DuckDB over a generated `flows` of `rows` records, and
 * records how each query ended: what a store with sqlStream must do (interrupt on abort).
 */
class StreamingDouble implements StreamingSql {
  readonly dialect = 'duckdb' as const;
  readonly events: string[] = [];
  private instance!: DuckDBInstance;
  ended!: Promise<void>;
  private end!: () => void;

  constructor(private readonly rows: number) {
    this.reset();
  }

  reset(): void {
    this.events.length = 0;
    this.ended = new Promise((r) => (this.end = r));
  }

  async open(): Promise<void> {
    this.instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  }

  private relation(range: TimeRange): string {
    const cols = FIELDS.map((f) => {
      if (f.name === 'bytes') return 'CAST(i AS UBIGINT) AS "bytes"';
      if (f.name === 'start') return `CAST(${now} - i % 600 AS UINTEGER) AS "start"`;
      return `${defaultLiteral(f)} AS "${f.name}"`;
    });
    return `(SELECT * FROM (SELECT ${cols.join(', ')} FROM range(${this.rows}) t(i)) WHERE "start" >= ${range.from} AND "start" < ${range.to})`;
  }

  async sqlStream(statement: string, range: TimeRange, opts: { signal?: AbortSignal } = {}): Promise<SqlRowStream> {
    const conn: DuckDBConnection = await this.instance.connect();
    const onAbort = () => {
      this.events.push(`interrupt:${(opts.signal?.reason as Error)?.message}`);
      conn.interrupt();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<unknown> = Promise.resolve();
    let closed = false;
    const release = () => {
      if (closed) return;
      closed = true;
      opts.signal?.removeEventListener('abort', onAbort);
      // Close only once no fetch is in flight.
      void pending.finally(() => {
        conn.closeSync();
        this.events.push('closed');
        this.end();
      });
    };
    try {
      const result = await conn.stream(`WITH flows AS ${this.relation(range)} ${statement}`);
      const names = result.columnNames();
      const types = result.columnTypes();
      const toJs = (v: DuckDBValue) => (typeof v === 'bigint' ? Number(v) : v instanceof DuckDBUUIDValue ? uuidToIp(v) : (v as string | number | boolean | null));
      const events = this.events;
      async function* batches() {
        try {
          for (;;) {
            const p = result.fetchChunk();
            pending = p.catch(() => {});
            const chunk = await p;
            if (!chunk || chunk.rowCount === 0) break;
            events.push(`chunk:${chunk.rowCount}`);
            yield chunk.getRows().map((r) => r.map(toJs));
          }
        } catch (e) {
          events.push(`error:${(e as Error).message.split('\n')[0]}`);
          throw e;
        } finally {
          release();
        }
      }
      return { columns: names.map((name, i) => ({ name, type: types[i].toString() })), batches: batches(), close: release };
    } catch (e) {
      this.events.push(`error:${(e as Error).message.split('\n')[0]}`);
      release();
      throw e;
    }
  }

  // The rest of FlowStore is not used by the route.
  async sql(): Promise<QueryResult> {
    throw new Error('the route must stream from a store that can');
  }
}

async function streamingApp(rows: number, routeOptions = {}) {
  const double = new StreamingDouble(rows);
  await double.open();
  const fake = Object.assign(Object.create(null), {
    dialect: 'duckdb',
    sql: double.sql.bind(double),
    sqlStream: double.sqlStream.bind(double),
    stats: () => ({ appendedRows: 0, bufferedRows: 0, files: 0, bytesOnDisk: 0 }),
  }) as FlowStore;
  const a = await buildApi(context(fake), [queryRoutesWith(routeOptions)]);
  return { double, app: a };
}

test('a streaming store delivers many batches in order', async () => {
  const { double, app: a } = await streamingApp(5000);
  try {
    const r = await post({ query: '| SELECT bytes ORDER BY bytes', format: 'jsonl' }, a);
    assert.equal(r.statusCode, 200);
    const lines = r.body.trim().split('\n');
    assert.equal(lines.length, 5000);
    assert.deepEqual(JSON.parse(lines[0]), { bytes: 0 });
    assert.deepEqual(JSON.parse(lines[4999]), { bytes: 4999 });
    await double.ended;
    assert.ok(double.events.filter((e) => e.startsWith('chunk:')).length >= 2, double.events.join(' '));
    assert.equal(double.events.at(-1), 'closed');
  } finally {
    await a.close();
  }
});

test('reaching the limit stops the query early', async () => {
  const { double, app: a } = await streamingApp(10_000_000);
  try {
    const body = (await post({ query: '', limit: 3000 }, a)).json() as JsonAnswer;
    assert.equal(body.count, 3000);
    assert.equal(body.truncated, true);
    await double.ended;
    assert.equal(double.events.at(-1), 'closed');
  } finally {
    await a.close();
  }
});

test('a query that runs past its timeout is interrupted and answered with 504', async () => {
  const { double, app: a } = await streamingApp(3_000_000_000);
  try {
    const r = await post({ query: '| SELECT count(*), sum(bytes % 7)', timeout_ms: 200 }, a);
    assert.equal(r.statusCode, 504);
    assert.match(r.json().error, /did not finish within 200 ms/);
    await double.ended;
    assert.ok(double.events.includes('interrupt:the query timed out'), double.events.join(' '));
    assert.ok(double.events.some((e) => /^error:INTERRUPT/.test(e)), double.events.join(' '));
    assert.equal(double.events.at(-1), 'closed');
    assert.match(metrics.render(), /flowlogs_api_queries_total\{outcome="timeout"\} [1-9]/);
  } finally {
    await a.close();
  }
});

test('a client that goes away mid-stream stops the query', async () => {
  const { double, app: a } = await streamingApp(1_000_000_000, { maxRows: 1_000_000_000 });
  await a.listen({ host: '127.0.0.1', port: 0 });
  try {
    const port = (a.server.address() as AddressInfo).port;
    const got = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/query', headers: { 'content-type': 'application/json' } }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
          if (n > 100_000) {
            req.destroy();
            resolve(n);
          }
        });
        res.on('error', () => {});
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      req.end(JSON.stringify({ query: '| SELECT bytes', format: 'jsonl', limit: 1_000_000_000 }));
    });
    assert.ok(got > 100_000);
    await double.ended;
    // Interrupted while fetching, or closed while waiting to write: either way it ended early.
    assert.equal(double.events.at(-1), 'closed');
    // It stopped long before producing its billion rows.
    const chunks = double.events.filter((e) => e.startsWith('chunk:')).length;
    assert.ok(chunks < 100_000, `${chunks} chunks`);
  } finally {
    await a.close();
  }
});

test('without sqlStream the route falls back on sql(), and still times out', async () => {
  const hanging = {
    dialect: 'duckdb',
    sql: () => new Promise<QueryResult>(() => {}),
    stats: () => ({ appendedRows: 0, bufferedRows: 0, files: 0, bytesOnDisk: 0 }),
  } as unknown as FlowStore;
  const a = await buildApi(context(hanging), [queryRoutes]);
  try {
    const r = await post({ query: '| SELECT count(*)', timeout_ms: 50 }, a);
    assert.equal(r.statusCode, 504);
  } finally {
    await a.close();
  }
});

test('a store without a compiler for its dialect answers 501', async () => {
  const other = { dialect: 'clickhouse', stats: () => ({}) } as unknown as FlowStore;
  const a = await buildApi(context(other), [queryRoutes]);
  try {
    const r = await post({ query: '' }, a);
    assert.equal(r.statusCode, 501);
    assert.match(r.json().error, /not available for the clickhouse store/);
  } finally {
    await a.close();
  }
});
