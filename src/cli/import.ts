// flowlogs import: loads cloud flow-log files (AWS, Tencent, Google Cloud, Azure) into the
// embedded store. Files and folders (recursive), gzip or not, format judged per file. Each
// file is recorded in the data directory once all its records are durable, so a rerun skips
// it; an interrupted file resumes after the records that reached the store.

import path from 'node:path';
import type { WriteStream } from 'node:tty';
import { loadConfig, section, type LoadedConfig } from '../config/load.js';
import { Ingest } from '../pipeline/assemble.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { FlowBatch } from '../schema/batch.js';
import { parseLogFormat } from '../sources/cloud/aws/text.js';
import { ImportLedger, LEDGER_FILE } from '../sources/cloud/import-ledger.js';
import { importFile, type FileReport } from '../sources/cloud/import-file.js';
import { listInputs, type InputFile } from '../sources/cloud/input-files.js';
import { CLOUD_FORMATS, type CloudFormat } from '../sources/cloud/parser.js';
import { ParseProblems } from '../sources/cloud/problems.js';
import { storeConfig, type StoreConfig } from '../store/config.js';
import { openStore } from '../store/open.js';
import type { FlowStore } from '../store/store.js';
import { InputError, errorMessage, isInputError } from '../util/errors.js';
import { int, oneOf, parseFlags, str, type Io, type Verb } from './args.js';

export const EXIT_INTERRUPTED = 130;
const DEFAULT_BATCH_ROWS = 65_536;

export interface ImportRunOptions {
  paths: string[];
  format: CloudFormat | 'auto';
  /** Field list for AWS lines without a header. */
  awsFields?: string[];
  store: StoreConfig;
  /** The whole configuration: the pipeline enriches (and inspects) imported records as the server does. */
  config?: LoadedConfig;
  /** auto: a bar on a terminal, periodic lines otherwise. */
  progress: 'auto' | 'bar' | 'lines' | 'none';
  /** Seconds between progress lines (not on a terminal). */
  progressEvery?: number;
  /** How many bad lines to print (all are counted). */
  showErrors: number;
  signal?: AbortSignal;
  batchRows?: number;
  /** Called once each batch is durable. */
  onBatchStored?: (records: number) => void;
}

export interface ImportSummary {
  files: number;
  imported: number;
  alreadyImported: number;
  empty: number;
  unreadable: number;
  interrupted: boolean;
  records: number;
  /** Records of interrupted files found already stored and skipped. */
  resumed: number;
  lines: number;
  problems: ParseProblems;
  seconds: number;
  /** Records older than the store's retention: the server's retention run will delete them. */
  beyondRetention: number;
}

function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Progress on stderr: a redrawn bar on a terminal, a plain line now and then otherwise. */
class Progress {
  private timer?: NodeJS.Timeout;
  private readonly t0 = Date.now();
  bytes = 0;
  records = 0;
  fileNo = 0;
  private lastLine = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly mode: 'bar' | 'lines' | 'none',
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    private readonly everyMs: number,
  ) {}

  start(): void {
    if (this.mode === 'none') return;
    this.timer = setInterval(() => this.tick(), this.mode === 'bar' ? 250 : Math.min(this.everyMs, 1000));
    this.timer.unref();
  }

  private text(): string {
    const secs = (Date.now() - this.t0) / 1000;
    const frac = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : 0;
    const rate = secs > 0 ? this.records / secs : 0;
    const eta = frac > 0 ? (secs / frac) * (1 - frac) : Infinity;
    return `${(frac * 100).toFixed(1)}%  file ${this.fileNo}/${this.totalFiles}  ${fmtCount(this.records)} records  ${fmtCount(rate)} records/s  ETA ${fmtDuration(eta)}`;
  }

  private tick(): void {
    if (this.mode === 'bar') {
      const width = 24;
      const frac = this.totalBytes > 0 ? Math.min(1, this.bytes / this.totalBytes) : 0;
      const done = Math.round(frac * width);
      this.out.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${this.text()}\x1b[K`);
    } else if (Date.now() - this.lastLine >= this.everyMs) {
      this.lastLine = Date.now();
      this.out.write(`import: ${this.text()}\n`);
    }
  }

  /** Prints a message without tearing the bar. */
  say(line: string): void {
    if (this.mode === 'bar') this.out.write('\r\x1b[K');
    this.out.write(line + '\n');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.mode === 'bar') this.out.write('\r\x1b[K');
  }
}

async function openWriter(cfg: StoreConfig): Promise<FlowStore> {
  const store = openStore(cfg, 'writer');
  try {
    await store.start();
  } catch (e) {
    const m = /in use by flowlogs process (\d+)/.exec(errorMessage(e));
    if (m)
      throw new InputError(
        `data directory ${path.resolve(cfg.data)} is in use by flowlogs process ${m[1]} (a running server?): stop it and import again, or send the files to the server instead, e.g. curl --data-binary @FILE -H 'Content-Encoding: gzip' http://127.0.0.1:8080/api/ingest/aws`,
      );
    throw e;
  }
  return store;
}

function isFileOk(r: FileReport): boolean {
  return r.status === 'already imported' || (r.status === 'imported' && (r.records + r.resumed > 0 || r.problems.total === 0));
}

export async function runImport(o: ImportRunOptions, io: Io): Promise<{ code: number; summary: ImportSummary }> {
  const t0 = Date.now();
  if (o.paths.length === 0) throw new InputError('flowlogs import: name at least one file or folder to import');
  const dataDir = path.resolve(o.store.data);
  const inputs: InputFile[] = (await listInputs(o.paths)).filter((f) => !path.resolve(f.path).startsWith(dataDir + path.sep));
  const summary: ImportSummary = { files: inputs.length, imported: 0, alreadyImported: 0, empty: 0, unreadable: 0, interrupted: false, records: 0, resumed: 0, lines: 0, problems: new ParseProblems(o.showErrors), seconds: 0, beyondRetention: 0 };
  if (inputs.length === 0) throw new InputError(`flowlogs import: no files found in ${o.paths.join(', ')}`);

  // Imports append in large batches as soon as each is parsed: short flush delay, no waiting.
  const store = await openWriter({ ...o.store, flush_ms: Math.min(o.store.flush_ms, 50) });
  const ledger = ImportLedger.open(path.join(dataDir, LEDGER_FILE));
  const ingest = o.config ? new Ingest({ store, metrics: new MetricsRegistry(), config: o.config, dataDir }) : undefined;
  await ingest?.start();
  const pipeline = ingest?.pipeline ?? new Pipeline(store, new MetricsRegistry());
  const isTty = (io.err as Partial<WriteStream>).isTTY === true;
  const mode = o.progress === 'auto' ? (isTty ? 'bar' : 'lines') : o.progress;
  const progress = new Progress(io.err, mode, inputs.reduce((n, f) => n + f.size, 0), inputs.length, (o.progressEvery ?? 10) * 1000);
  let printed = 0;
  const stopped = () => o.signal?.aborted === true;
  // Old logs are the usual reason to import; warn when retention would delete them again.
  const keepFrom = o.store.retention_days > 0 ? Math.floor(Date.now() / 1000) - o.store.retention_days * 86400 : 0;
  const write = async (b: FlowBatch): Promise<void> => {
    const start = b.cols.start;
    for (let i = 0; i < b.length; i++) if (start[i] < keepFrom) summary.beyondRetention++;
    const done = pipeline.push(b, 'import');
    // Cut the segment now: each batch becomes its own durable unit without waiting for a timer.
    store.flush().catch(() => {});
    await done;
    o.onBatchStored?.(b.length);
  };
  progress.start();
  try {
    for (const input of inputs) {
      if (stopped()) break;
      progress.fileNo++;
      const before = progress.bytes;
      const r = await importFile(input, {
        format: o.format,
        awsFields: o.awsFields,
        batchRows: o.batchRows ?? DEFAULT_BATCH_ROWS,
        write,
        ledger,
        storedCount: async (tag) => {
          const res = await store.sql(`SELECT count(*) FROM flows WHERE flow_log_id = '${tag.replace(/'/g, "''")}'`, { from: 0, to: 2 ** 32 });
          return Number(res.rows[0]?.[0] ?? 0);
        },
        shouldStop: stopped,
        onBytes: (n) => (progress.bytes += n),
        onRecords: (n) => (progress.records += n),
        keepProblems: o.showErrors,
      });
      progress.bytes = before + input.size;
      summary.records += r.records;
      summary.resumed += r.resumed;
      summary.lines += r.lines;
      summary.problems.merge(r.problems);
      for (const p of r.problems.first) {
        if (printed++ < o.showErrors) progress.say(ParseProblems.format(input.path, p));
      }
      switch (r.status) {
        case 'imported':
          if (isFileOk(r)) summary.imported++;
          break;
        case 'already imported':
          summary.alreadyImported++;
          break;
        case 'empty':
          summary.empty++;
          break;
        case 'unreadable':
          summary.unreadable++;
          progress.say(`${input.path}: ${r.reason}`);
          break;
        case 'interrupted':
          summary.interrupted = true;
          break;
      }
      if (r.resumed > 0) progress.say(`${input.path}: resumed after ${r.resumed} records stored by an interrupted import`);
    }
    if (stopped()) summary.interrupted = true;
    await pipeline.drain();
  } finally {
    progress.stop();
    ledger.close();
    // The detectors judge what the import left open (alerts land in the data directory).
    await ingest?.stop().catch(() => {});
    await store.stop();
  }
  summary.seconds = (Date.now() - t0) / 1000;
  io.out.write(renderSummary(summary) + '\n');
  const anyGood = summary.imported + summary.alreadyImported > 0 || summary.records + summary.resumed > 0;
  const anyBad = summary.unreadable > 0 || summary.problems.total > 0;
  if (summary.beyondRetention > 0)
    io.err.write(
      `note: ${summary.beyondRetention} imported records are older than the store's retention (${o.store.retention_days} days); a running server will delete them at its next retention pass unless store.retention_days is raised (0 keeps everything)\n`,
    );
  if (summary.interrupted) {
    io.err.write('import interrupted: run the same command again to continue where it stopped\n');
    return { code: EXIT_INTERRUPTED, summary };
  }
  return { code: anyGood || !anyBad ? 0 : 2, summary };
}

export function renderSummary(s: ImportSummary): string {
  const parts = [`${s.imported} of ${s.files} file${s.files === 1 ? '' : 's'} imported`];
  if (s.alreadyImported) parts.push(`${s.alreadyImported} already imported`);
  if (s.empty) parts.push(`${s.empty} empty`);
  if (s.unreadable) parts.push(`${s.unreadable} unreadable`);
  const rate = s.seconds > 0 ? s.records / s.seconds : 0;
  let line = `${parts.join(', ')}: ${s.records} records from ${s.lines} lines in ${s.seconds.toFixed(1)} s (${fmtCount(rate)} records/s)`;
  if (s.resumed) line += `; ${s.resumed} records were already stored by an interrupted run`;
  if (s.problems.total) {
    const reasons = [...s.problems.byReason].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`);
    line += `; ${s.problems.total} bad line${s.problems.total === 1 ? '' : 's'} skipped (${reasons.join(', ')})`;
  }
  if (s.interrupted) line += '; interrupted';
  return line;
}

export const importVerb: Verb = {
  name: 'import',
  summary: 'load cloud flow-log files (AWS, Tencent, Google Cloud, Azure) into the store',
  usage: `flowlogs import PATH... [--format auto|aws|tencent|gcp|azure] [--data DIR] [--aws-format FIELDS] [--errors N]

  PATH            files or folders (read recursively); gzip is recognised by content
  --format F      auto (default) judges each file: AWS VPC/Transit Gateway text, Parquet or CloudWatch
                  exports; Tencent ENI/CCN; Google Cloud vpc_flows JSON; Azure NSG/VNet flow logs
  --aws-format F  field list of AWS lines that have no header line (a custom LogFormat), e.g.
                  '\${version} \${srcaddr} \${dstaddr} …' or 'version srcaddr dstaddr …'
  --errors N      print the first N bad lines as FILE:LINE: reason (default 20; all are counted)
  --progress P    auto (bar on a terminal, a line every 10 s otherwise), bar, lines or none
  --data DIR      data directory (default ./data); must not be in use by a running server

  Files already imported (same content) are skipped; after Ctrl-C, run the same command to go on.
  Exit status: 0 when anything was imported, 2 when nothing could be (bad input), 1 on failure,
  130 when interrupted (run it again to continue).`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('import', argv, {
      format: { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'aws-format': { type: 'string' },
      errors: { type: 'string' },
      progress: { type: 'string' },
      'progress-every': { type: 'string' },
    });
    const format = oneOf(p, 'format', 'import', ['auto', ...CLOUD_FORMATS] as const, 'auto');
    const progress = oneOf(p, 'progress', 'import', ['auto', 'bar', 'lines', 'none'] as const, 'auto');
    const awsFormat = str(p, 'aws-format');
    const awsFields = awsFormat ? parseLogFormat(awsFormat) : undefined;
    if (awsFields && awsFields.length === 0) throw new InputError('flowlogs import: --aws-format names no fields');
    const config = loadConfig(str(p, 'config'));
    const store = { ...section(config, 'store', storeConfig) };
    if (str(p, 'data')) store.data = str(p, 'data')!;
    const ac = new AbortController();
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
      io.err.write('\nstopping after the batch being written… (Ctrl-C again to quit at once; a rerun still continues safely)\n');
      ac.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const { code } = await runImport(
        { paths: p.positionals, format, awsFields, store, config, progress, progressEvery: int(p, 'progress-every', 'import', 1), showErrors: int(p, 'errors', 'import', 0) ?? 20, signal: ac.signal },
        io,
      );
      return code;
    } catch (e) {
      if (isInputError(e)) throw e;
      throw new Error(`import failed: ${errorMessage(e)}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
