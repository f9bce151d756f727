// One ClickHouse HTTP endpoint through the official client (@clickhouse/client). Only its raw
// `exec` is used: results are read in Native format and inserts are sent as Native blocks by
// this store's own codecs, since ClickHouse 18.16 lacks the formats and query parameters the
// client's typed helpers rely on. Cancelling a query also kills it on the server: 18.16 keeps
// running a query whose HTTP client went away.

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { nativeBlocks, type NativeBlock } from './native-read.js';

export interface ConnectionOptions {
  endpoint: string;
  username?: string;
  password?: string;
  /** Per request (default 300 s): a slow INSERT or query fails after this long. */
  requestTimeoutMs?: number;
  maxOpenConnections?: number;
}

export type Settings = Record<string, string | number>;

/** An error ClickHouse answered with: the server's message without its stack. */
export class ClickHouseError extends Error {
  override readonly name = 'ClickHouseError';
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

function cleanError(e: unknown, endpoint: string): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const m = /Code: (\d+), e\.displayText\(\) = (?:DB::Exception: )?(.*?)(?:, e\.what\(\) = .*)?$/s.exec(e.message) ?? /^(?:Code: (\d+)\. )?(?:DB::Exception: )?(.*)$/s.exec(e.message);
  const code = (e as { code?: string }).code !== undefined && /^\d+$/.test(String((e as { code?: string }).code)) ? Number((e as { code?: string }).code) : m?.[1] ? Number(m[1]) : undefined;
  if (code !== undefined && m) return new ClickHouseError(`ClickHouse: ${m[2].trim().split('\n')[0]}`, code);
  if (e.name === 'AbortError' || /aborted/i.test(e.message)) return e;
  return new Error(`ClickHouse at ${endpoint}: ${e.message}`);
}

export class ClickHouseConnection {
  readonly endpoint: string;
  private readonly client: ClickHouseClient;

  constructor(opts: ConnectionOptions) {
    this.endpoint = opts.endpoint;
    this.client = createClient({
      url: opts.endpoint,
      username: opts.username ?? 'default',
      password: opts.password ?? '',
      request_timeout: opts.requestTimeoutMs ?? 300_000,
      max_open_connections: opts.maxOpenConnections ?? 16,
      compression: { request: false, response: false },
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /** Runs a statement that returns nothing worth reading (DDL, ALTER, KILL). */
  async command(sql: string, settings: Settings = {}): Promise<void> {
    try {
      const r = await this.client.exec({ query: sql, clickhouse_settings: settings });
      for await (const _ of r.stream);
    } catch (e) {
      throw cleanError(e, this.endpoint);
    }
  }

  /** A small result as TabSeparated text (one line per row). */
  async text(sql: string, settings: Settings = {}): Promise<string> {
    try {
      const r = await this.client.exec({ query: `${sql} FORMAT TabSeparated`, clickhouse_settings: settings });
      const parts: Buffer[] = [];
      for await (const c of r.stream) parts.push(c as Buffer);
      return Buffer.concat(parts).toString('utf8');
    } catch (e) {
      throw cleanError(e, this.endpoint);
    }
  }

  /**
   * A query's result block by block. Aborting `signal` ends the request and kills the query
   * on the server.
   */
  async *blocks(sql: string, opts: { signal?: AbortSignal; settings?: Settings } = {}): AsyncGenerator<NativeBlock> {
    const queryId = randomUUID();
    const kill = () => void this.command(`KILL QUERY WHERE query_id = '${queryId}' ASYNC`).catch(() => {});
    opts.signal?.addEventListener('abort', kill, { once: true });
    let done = false;
    try {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
      let r;
      try {
        r = await this.client.exec({ query: `${sql} FORMAT Native`, query_id: queryId, abort_signal: opts.signal, clickhouse_settings: opts.settings ?? {} });
      } catch (e) {
        throw cleanError(e, this.endpoint);
      }
      try {
        yield* nativeBlocks(r.stream as AsyncIterable<Buffer>);
        done = true;
      } catch (e) {
        throw cleanError(e, this.endpoint);
      } finally {
        if (!done) r.stream.destroy();
      }
    } finally {
      opts.signal?.removeEventListener('abort', kill);
      if (!done && !opts.signal?.aborted) kill();
    }
  }

  /**
   * Sends `INSERT INTO table (columns) FORMAT Native` with the body as given. Few large chunks:
   * each chunk is a write of its own, and thousands of small ones cost more than joining them.
   */
  async insert(table: string, columns: readonly string[], chunks: readonly Uint8Array[], settings: Settings = {}): Promise<void> {
    try {
      const r = await this.client.exec({
        query: `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) FORMAT Native`,
        values: Readable.from(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))),
        clickhouse_settings: settings,
      });
      for await (const _ of r.stream);
    } catch (e) {
      throw cleanError(e, this.endpoint);
    }
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
