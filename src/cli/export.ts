import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { loadConfig, section } from '../config/load.js';
import { parseFilter } from '../query/index.js';
import type { FlowBatch } from '../schema/batch.js';
import { IpfixEncoder } from '../schema/ipfix/encoder.js';
import { AwsTextRows, AWS_DEFAULT_FIELDS } from '../sinks/formats/aws-text.js';
import { parseEndpoint } from '../sources/collector/config.js';
import { storeConfig } from '../store/config.js';
import { DuckDbEngine } from '../store/duckdb/engine.js';
import { quoteString } from '../store/duckdb/sql.js';
import { openStore } from '../store/open.js';
import type { FlowStore, TimeRange } from '../store/store.js';
import type { FilterNode } from '../query/index.js';
import { InputError } from '../util/errors.js';
import { parseRange } from '../util/time.js';
import { int, oneOf, parseFlags, str, type Io, type Verb } from './args.js';

/** The records of a range, oldest first, an hour at a time (memory stays bounded). */
export async function* exportBatches(store: FlowStore, range: TimeRange, filter: FilterNode): AsyncGenerator<FlowBatch> {
  for (let from = range.from; from < range.to; from += 3600) {
    const slice = { from, to: Math.min(range.to, from + 3600) };
    const b = await store.flows({ range: slice, filter, limit: 1e9, order: 'oldest' });
    if (b.length) yield b;
  }
}

// AWS delivers Parquet with these names (hyphens become underscores) and types.
const AWS_PARQUET_COLUMNS: [string, string][] = [
  ['version', 'INTEGER'],
  ['account_id', 'VARCHAR'],
  ['interface_id', 'VARCHAR'],
  ['srcaddr', 'VARCHAR'],
  ['dstaddr', 'VARCHAR'],
  ['srcport', 'INTEGER'],
  ['dstport', 'INTEGER'],
  ['protocol', 'INTEGER'],
  ['packets', 'BIGINT'],
  ['bytes', 'BIGINT'],
  ['start', 'BIGINT'],
  ['end', 'BIGINT'],
  ['action', 'VARCHAR'],
  ['log_status', 'VARCHAR'],
  ['vpc_id', 'VARCHAR'],
  ['subnet_id', 'VARCHAR'],
  ['instance_id', 'VARCHAR'],
  ['tcp_flags', 'INTEGER'],
  ['flow_direction', 'VARCHAR'],
];

async function writeAwsText(batches: AsyncIterable<FlowBatch>, out: NodeJS.WritableStream, fields: readonly string[]): Promise<number> {
  const fmt = new AwsTextRows(fields);
  let n = 0;
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write(fmt.header() + '\n');
  for await (const b of batches) {
    const line = fmt.forBatch(b);
    let chunk = '';
    for (let r = 0; r < b.length; r++) {
      chunk += line(r) + '\n';
      if (chunk.length > 1 << 16) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
    n += b.length;
  }
  return n;
}

export const exportVerb: Verb = {
  name: 'export',
  summary: 'export stored flows as AWS flow-log text or Parquet, or send them as IPFIX to a collector',
  usage: `flowlogs export ['FILTER'] --format aws|parquet|ipfix [--output FILE] [--collector HOST:PORT] [--from T] [--to T] [--data DIR]

  aws      AWS VPC Flow Logs text (v2 default fields, or --fields with AWS names), gzip when FILE ends in .gz
  parquet  Parquet in the schema of AWS's Parquet delivery (srcaddr, dstaddr, … as AWS names them), zstd
  ipfix    IPFIX (RFC 7011) over UDP to --collector, at most --rate messages per second (default 5000)
  FILTER is a query-language filter ('' or omitted: every flow in the range).`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('export', argv, {
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      collector: { type: 'string' },
      fields: { type: 'string' },
      rate: { type: 'string' },
      domain: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string', short: 'c' },
    });
    if (p.positionals.length > 1) throw new InputError('flowlogs export: expected at most one FILTER argument (quote it)');
    const format = oneOf(p, 'format', 'export', ['aws', 'parquet', 'ipfix'] as const, 'aws');
    const filter = parseFilter(p.positionals[0] ?? '');
    const range = parseRange(str(p, 'from'), str(p, 'to'));
    const output = str(p, 'output');
    if (format === 'ipfix' && !str(p, 'collector')) throw new InputError('flowlogs export: --format ipfix needs --collector HOST:PORT');
    if (format === 'parquet' && (!output || output === '-')) throw new InputError('flowlogs export: --format parquet needs --output FILE');
    const cfg = { ...section(loadConfig(str(p, 'config')), 'store', storeConfig) };
    if (str(p, 'data')) cfg.data = str(p, 'data')!;
    const store = openStore(cfg, 'reader');
    await store.start();
    let n = 0;
    try {
      const batches = exportBatches(store, range, filter);
      if (format === 'aws') {
        const fields = str(p, 'fields')?.split(/[\s,]+/).filter(Boolean) ?? AWS_DEFAULT_FIELDS;
        if (!output || output === '-') n = await writeAwsText(batches, io.out, fields);
        else {
          const gz = output.endsWith('.gz');
          const file = fs.createWriteStream(output);
          const sink: NodeJS.WritableStream = gz ? zlib.createGzip() : file;
          const done = gz ? streamPipeline(sink as zlib.Gzip, file) : new Promise<void>((r, j) => file.on('finish', () => r()).on('error', j));
          n = await writeAwsText(batches, sink, fields);
          sink.end();
          await done;
        }
      } else if (format === 'parquet') {
        // AWS text first (addresses as text, '-' for absent values), then DuckDB turns it into
        // Parquet with AWS's column names and types.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-export-'));
        try {
          const text = path.join(tmp, 'flows.txt');
          const fields = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status', 'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'flow-direction'];
          const ws = fs.createWriteStream(text);
          n = await writeAwsText(batches, ws, fields);
          await new Promise<void>((r) => ws.end(() => r()));
          const engine = await DuckDbEngine.create();
          try {
            const cols = AWS_PARQUET_COLUMNS.map(([name, type], i) => `CAST(NULLIF(column${String(i).padStart(2, '0')}, '-') AS ${type}) AS "${name}"`).join(', ');
            await engine.run(
              `COPY (SELECT ${cols} FROM read_csv(${quoteString(text)}, delim = ' ', header = true, all_varchar = true, quote = '', names = [${AWS_PARQUET_COLUMNS.map((_, i) => `'column${String(i).padStart(2, '0')}'`).join(', ')}])) TO ${quoteString(path.resolve(output!))} (FORMAT parquet, COMPRESSION zstd)`,
            );
          } finally {
            engine.close();
          }
        } finally {
          fs.rmSync(tmp, { recursive: true, force: true });
        }
      } else {
        const ep = parseEndpoint(str(p, 'collector')!);
        if (!ep || ep.port === 0) throw new InputError(`flowlogs export: --collector '${str(p, 'collector')}' is not HOST:PORT`);
        const rate = int(p, 'rate', 'export', 1) ?? 5000;
        const enc = new IpfixEncoder({ domain: int(p, 'domain', 'export', 0) ?? 1 });
        const sock = dgram.createSocket(ep.host.includes(':') ? 'udp6' : 'udp4');
        let sent = 0;
        const t0 = Date.now();
        try {
          for await (const b of batches) {
            for (const msg of enc.encode(b)) {
              await new Promise<void>((res, rej) => sock.send(msg, ep.port, ep.host, (e) => (e ? rej(e) : res())));
              // Pace: a collector's socket buffer is finite.
              if (++sent % 100 === 0) {
                const ahead = (sent / rate) * 1000 - (Date.now() - t0);
                if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
              }
            }
            n += b.length;
          }
        } finally {
          sock.close();
        }
        io.err.write(`${sent} IPFIX messages to ${str(p, 'collector')}\n`);
      }
    } finally {
      await store.stop();
    }
    io.err.write(`${n} flows exported\n`);
    return 0;
  },
};
