// POST /api/query: the query language over HTTP. The body names the query, the time range, a
// row limit, a timeout and the output format; results are written as they are read (a JSON
// document whose rows arrive progressively, JSON Lines or CSV), the caller's tenant scope is
// ANDed into every query, and the query is stopped when it times out or the client goes away.

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { MetricsRegistry, Series } from '../../metrics/registry.js';
import { exactFilter, isQuerySyntaxError, parseQuery, type Query } from '../../query/index.js';
import type { CompiledColumn, CompiledQuery } from '../../store/duckdb/compile.js';
import { compilerFor } from '../../store/compile.js';
import { prepareQuery, type PreparedQuery } from '../../store/prepare.js';
import { streamOf, type FlowStore, type QueryResult, type ResultColumn, type SqlRowStream, type TimeRange } from '../../store/store.js';

export type { SqlRowStream } from '../../store/store.js';
import { InputError } from '../../util/errors.js';
import { parseRange } from '../../util/time.js';
import type { ApiContext } from '../context.js';
import { scopeFilters } from '../scope.js';

type Row = QueryResult['rows'][number];

/** Stores that can stream results (and be interrupted). */
export type StreamingSql = Required<Pick<FlowStore, 'sqlStream'>>;

export interface QueryRouteOptions {
  defaultRows: number;
  maxRows: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}

export const QUERY_ROUTE_DEFAULTS: QueryRouteOptions = { defaultRows: 10_000, maxRows: 1_000_000, defaultTimeoutMs: 30_000, maxTimeoutMs: 600_000 };



const FORMATS = ['json', 'jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

const CONTENT_TYPE: Record<Format, string> = { json: 'application/json; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8' };

const time = z.union([z.string(), z.number()]);

function bodySchema(o: QueryRouteOptions) {
  return z
    .object({
      query: z.string().default(''),
      from: time.optional(),
      to: time.optional(),
      limit: z.number().int().min(0).max(o.maxRows, { message: `at most ${o.maxRows}` }).optional(),
      timeout_ms: z.number().int().min(1).max(o.maxTimeoutMs, { message: `at most ${o.maxTimeoutMs}` }).optional(),
      format: z.enum(FORMATS).default('json'),
    })
    .strict();
}

/** Engine errors that are about the query (types, values), not about the server. */
function isQueryFailure(e: unknown): boolean {
  return e instanceof Error && /^(Binder|Conversion|Out of Range|Invalid Input|Not implemented) Error/.test(e.message);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function isStreaming(store: FlowStore): store is FlowStore & StreamingSql {
  return typeof (store as Partial<StreamingSql>).sqlStream === 'function';
}

/** `sql()` dressed as a stream: one batch, nothing to stop early. */
function csvCell(v: Row[number]): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Turns rows into text in one format: a head, one piece per batch, a tail. */
class ResultWriter {
  private readonly keys: string[];
  private count = 0;

  constructor(
    private readonly format: Format,
    private readonly columns: CompiledColumn[],
  ) {
    this.keys = columns.map((c, i) => (i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
  }

  head(): string {
    if (this.format === 'json') return `{"columns":${JSON.stringify(this.columns.map((c) => ({ name: c.name, type: c.type })))},"rows":[`;
    if (this.format === 'csv') return this.columns.map((c) => csvCell(c.name)).join(',') + '\n';
    return '';
  }

  rows(rows: Row[]): string {
    let out = '';
    for (const r of rows) {
      switch (this.format) {
        case 'json':
          out += (this.count === 0 ? '\n' : ',\n') + JSON.stringify(r);
          break;
        case 'jsonl': {
          let line = '';
          for (let k = 0; k < r.length; k++) line += this.keys[k] + JSON.stringify(r[k]);
          out += line + '}\n';
          break;
        }
        case 'csv':
          out += r.map(csvCell).join(',') + '\n';
          break;
      }
      this.count++;
    }
    return out;
  }

  tail(truncated: boolean, error?: string): string {
    if (this.format !== 'json') return '';
    return `\n],"count":${this.count},"truncated":${truncated}${error ? `,"error":${JSON.stringify(error)}` : ''}}\n`;
  }
}

interface QueryMetrics {
  ok: Series;
  badQuery: Series;
  timeout: Series;
  cancelled: Series;
  failed: Series;
  rows: Series;
}

function queryMetrics(m: MetricsRegistry): QueryMetrics {
  const q = m.counter('flowlogs_api_queries_total', 'POST /api/query requests by outcome');
  return {
    ok: q.with({ outcome: 'ok' }),
    badQuery: q.with({ outcome: 'bad_query' }),
    timeout: q.with({ outcome: 'timeout' }),
    cancelled: q.with({ outcome: 'cancelled' }),
    failed: q.with({ outcome: 'error' }),
    rows: m.counter('flowlogs_api_query_rows_total', 'Rows returned by POST /api/query').with(),
  };
}

class Cancelled extends Error {
  constructor(readonly why: 'timeout' | 'client') {
    super(why === 'timeout' ? 'the query timed out' : 'the client went away');
  }
}

/** Resolves with `p`, or rejects with Cancelled as soon as `signal` aborts. */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? signal.reason : e);
      },
    );
  });
}

export function queryRoutesWith(options: Partial<QueryRouteOptions> = {}) {
  const o: QueryRouteOptions = { ...QUERY_ROUTE_DEFAULTS, ...options };
  const schema = bodySchema(o);

  return function queryRoutes(app: FastifyInstance, ctx: ApiContext): void {
    const metrics = queryMetrics(ctx.metrics);

    app.post('/api/query', async (req, reply) => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        metrics.badQuery.inc();
        throw new InputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      }
      const body = parsed.data;
      const range = parseRange(body.from?.toString(), body.to?.toString());
      let query: Query;
      try {
        query = parseQuery(body.query);
      } catch (e) {
        metrics.badQuery.inc();
        if (isQuerySyntaxError(e)) return reply.code(400).send({ error: e.message, position: e.position, column: e.column });
        throw e;
      }
      try {
        compilerFor(ctx.store.dialect);
      } catch {
        return reply.code(501).send({ error: `the query language is not available for the ${ctx.store.dialect} store yet` });
      }
      const limit = body.limit ?? o.defaultRows;
      // One row beyond the limit tells a complete answer from a truncated one.
      const compiled = prepareQuery(ctx.store, query, { scope: exactFilter(scopeFilters(req.principal)), maxRows: limit + 1 });
      const timeoutMs = body.timeout_ms ?? o.defaultTimeoutMs;
      return run(reply, compiled, range, limit, timeoutMs, body.format);
    });

    async function run(reply: FastifyReply, compiled: PreparedQuery, range: TimeRange, limit: number, timeoutMs: number, format: Format) {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Cancelled('timeout')), timeoutMs);
      const onClose = () => {
        if (!reply.raw.writableFinished) ac.abort(new Cancelled('client'));
      };
      reply.raw.on('close', onClose);
      const done = () => {
        clearTimeout(timer);
        reply.raw.off('close', onClose);
      };
      const store = ctx.store;
      let stream: SqlRowStream | undefined;
      let first: IteratorResult<Row[]>;
      let it: AsyncIterator<Row[]>;
      try {
        stream = isStreaming(store)
          ? await unlessAborted(store.sqlStream(compiled.sql, range, { ...compiled.sqlOptions, signal: ac.signal }), ac.signal)
          : streamOf(await unlessAborted(store.sql(compiled.sql, range, compiled.sqlOptions), ac.signal));
        it = stream.batches[Symbol.asyncIterator]();
        first = await unlessAborted(it.next(), ac.signal);
      } catch (e) {
        stream?.close();
        done();
        if (e instanceof Cancelled) {
          if (e.why === 'timeout') {
            metrics.timeout.inc();
            return reply.code(504).send({ error: `the query did not finish within ${timeoutMs} ms (set timeout_ms, narrow the time range or the filter)` });
          }
          metrics.cancelled.inc();
          return reply;
        }
        if (isQueryFailure(e)) {
          metrics.badQuery.inc();
          return reply.code(400).send({ error: `the query failed: ${firstLine(e)}` });
        }
        metrics.failed.inc();
        throw e;
      }
      const s = stream;
      const columns = compiled.columns.length === s.columns.length ? compiled.columns : s.columns.map((c) => ({ name: c.name, type: 'any' as const }));
      const writer = new ResultWriter(format, columns);
      const log = reply.log;
      async function* body(): AsyncGenerator<string> {
        let sent = 0;
        let truncated = false;
        let failure: string | undefined;
        try {
          yield writer.head();
          let next = first;
          while (!next.done) {
            let rows = next.value;
            if (sent + rows.length > limit) {
              rows = rows.slice(0, limit - sent);
              truncated = true;
            }
            sent += rows.length;
            if (rows.length) yield writer.rows(rows);
            if (truncated) break;
            next = await unlessAborted(it.next(), ac.signal);
          }
          metrics.ok.inc();
        } catch (e) {
          if (e instanceof Cancelled) {
            (e.why === 'timeout' ? metrics.timeout : metrics.cancelled).inc();
            failure = e.why === 'timeout' ? `the query did not finish within ${timeoutMs} ms; the rows above are incomplete` : e.message;
          } else {
            metrics.failed.inc();
            failure = `the query failed after ${sent} rows: ${firstLine(e)}`;
            log.warn({ err: e }, 'query failed while streaming');
          }
          // JSON can say so in its last member; JSON Lines and CSV have no place for it, so
          // the response is cut short instead, which a client sees as an incomplete body.
          if (format !== 'json') throw e;
        } finally {
          metrics.rows.inc(sent);
          s.close();
          done();
        }
        yield writer.tail(truncated, failure);
      }
      reply.type(CONTENT_TYPE[format]);
      reply.header('cache-control', 'no-store');
      return reply.send(Readable.from(body(), { objectMode: false }));
    }
  };
}

/** The route with the default limits (10,000 rows unless asked, at most 1,000,000; 30 s timeout). */
export const queryRoutes = queryRoutesWith();
