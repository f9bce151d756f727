// Importing one file: recognise it, parse it into batches, and hand the batches on in order,
// each made durable before the next one is written (while the parser fills the next).
//
// Why in order: every record carries the file's import tag in flow_log_id, and a batch lands
// in the store whole or not at all. So after a crash or Ctrl-C, the records of a file that
// reached the store are exactly its first N, N = the number of stored records with that tag,
// and a rerun skips those N and goes on: nothing is lost and nothing is stored twice.

import { FlowBatch } from '../../schema/batch.js';
import { BatchCollector, type BatchSink } from '../source.js';
import { readAwsParquet } from './aws/parquet.js';
import { parseS3Key } from './aws/s3-layout.js';
import { detectFormat } from './detect-format.js';
import { importTag, type ImportLedger } from './import-ledger.js';
import { isGzip, isParquet, readContent, readHead, sha256File, type InputFile } from './input-files.js';
import type { CloudFormat, ParserOptions } from './parser.js';
import { makeParser } from './parsers.js';
import { ParseProblems } from './problems.js';
import { isUnreadable } from './unreadable.js';

export interface ImportSettings {
  /** 'auto' judges each file by itself. */
  format: CloudFormat | 'auto';
  /** Field list for AWS lines that have no header (the flow log's LogFormat). */
  awsFields?: readonly string[];
  /** Rows per batch; each batch is one durable unit in the store. */
  batchRows: number;
  /** Stores a batch; resolves once it is durable. */
  write(batch: FlowBatch): Promise<void>;
  /** Without a ledger every file is imported (no skipping, no resuming). */
  ledger?: ImportLedger;
  /** Stored records carrying `tag` in flow_log_id (for resuming an interrupted file). */
  storedCount?(tag: string): Promise<number>;
  /** Asked between chunks; true stops the file early (it stays pending, to be resumed). */
  shouldStop(): boolean;
  /** File bytes consumed, for progress. */
  onBytes?(n: number): void;
  /** Records stored, for progress. */
  onRecords?(n: number): void;
  /** Problems kept with their line per file (all are counted). */
  keepProblems?: number;
}

export type FileStatus = 'imported' | 'already imported' | 'empty' | 'unreadable' | 'interrupted';

export interface FileReport {
  file: string;
  status: FileStatus;
  format?: CloudFormat;
  /** Records stored by this run. */
  records: number;
  lines: number;
  /** Records found already stored by an interrupted earlier run, and skipped. */
  resumed: number;
  problems: ParseProblems;
  /** Why the file could not be read (unreadable). */
  reason?: string;
}

const DETECT_BYTES = 64 * 1024;

/** Skips the first `n` records a parser writes (they are already stored), then passes through. */
class ResumeSink implements BatchSink {
  private readonly scratch: FlowBatch;

  constructor(
    private readonly inner: BatchSink,
    private left: number,
    scratch: FlowBatch,
  ) {
    this.scratch = scratch;
  }

  room(): FlowBatch {
    if (this.left > 0) {
      this.left -= this.scratch.length;
      this.scratch.reset();
      if (this.left > 0) return this.scratch;
    }
    return this.inner.room();
  }
}

export async function importFile(input: InputFile, s: ImportSettings): Promise<FileReport> {
  const problems = new ParseProblems(s.keepProblems ?? 20);
  const report: FileReport = { file: input.path, status: 'imported', records: 0, lines: 0, resumed: 0, problems };
  if (input.size === 0) {
    s.onBytes?.(0);
    return { ...report, status: 'empty' };
  }
  const hash = await sha256File(input.path);
  const ledger = s.ledger;
  if (ledger?.done(hash)) {
    s.onBytes?.(input.size);
    return { ...report, status: 'already imported', format: ledger.done(hash)!.format as CloudFormat };
  }
  const tag = importTag(hash);
  let skip = 0;
  if (ledger?.pending(hash)) skip = s.storedCount ? await s.storedCount(tag) : 0;
  report.resumed = skip;

  const raw = await readHead(input.path, 4);
  const parquet = isParquet(raw);
  const gzip = isGzip(raw);
  const content = parquet ? undefined : readContent(input.path, gzip, s.onBytes);
  // Recognise the format from the first decompressed bytes, keeping them for the parser.
  const held: Buffer[] = [];
  let inflight: Promise<void> | undefined;
  let format: CloudFormat | undefined = s.format === 'auto' ? undefined : s.format;
  try {
    if (content) {
      let heldBytes = 0;
      while (heldBytes < DETECT_BYTES) {
        const next = await content.next();
        if (next.done) break;
        held.push(next.value);
        heldBytes += next.value.length;
      }
      if (heldBytes === 0) return { ...report, status: 'empty' };
      if (!format) format = detectFormat(Buffer.concat(held).subarray(0, DETECT_BYTES), input.path)?.format;
    } else {
      if (format && format !== 'aws') return { ...report, status: 'unreadable', reason: `a Parquet file, but --format ${format} (Parquet delivery is AWS's)` };
      format = 'aws';
    }
    if (!format) return { ...report, status: 'unreadable', reason: 'cannot tell which cloud wrote this file (not AWS, Tencent, Google Cloud or Azure flow logs?); name it with --format' };
    report.format = format;

    if (ledger && !ledger.pending(hash)) await ledger.begin(hash, input.path);

    // Batches are written one at a time, in order; the parser fills the next meanwhile.
    const queue: FlowBatch[] = [];
    const collector = new BatchCollector((b) => queue.push(b), s.batchRows);
    const sink = skip > 0 ? new ResumeSink(collector, skip, new FlowBatch(1)) : collector;
    const writeNext = (b: FlowBatch): Promise<void> => {
      const col = b.cols.flow_log_id;
      col.codes.fill(col.dict.intern(tag), 0, b.length);
      const n = b.length;
      return s.write(b).then(() => {
        report.records += n;
        s.onRecords?.(n);
      });
    };
    const pump = async (final: boolean): Promise<void> => {
      while (queue.length > 0) {
        if (inflight) await inflight;
        inflight = writeNext(queue.shift()!);
        // Awaited later; until then a failure must not count as unhandled.
        inflight.catch(() => {});
        if (!final && queue.length === 0) return;
      }
      if (final && inflight) await inflight;
    };

    const opts: ParserOptions = { problems, account: parseS3Key(input.path).account, fields: s.awsFields };
    let stopped = false;
    if (parquet) {
      s.onBytes?.(input.size);
      const r = await readAwsParquet(input.path, sink, opts, () => {
        stopped = stopped || s.shouldStop();
        return stopped;
      });
      report.lines = r.rows;
    } else {
      const parser = makeParser(format, sink, opts);
      for (const c of held) parser.push(c);
      held.length = 0;
      for (;;) {
        if (queue.length) await pump(false);
        if (s.shouldStop()) {
          stopped = true;
          break;
        }
        const next = await content!.next();
        if (next.done) break;
        parser.push(next.value);
      }
      if (!stopped) parser.end();
      report.lines = parser.lines;
    }
    collector.flush();
    await pump(true);
    if (stopped) return { ...report, status: 'interrupted' };
    // A file none of whose lines could be read stays unrecorded: with the right --format or
    // --aws-format a later run must try it again rather than skip it.
    if (report.resumed + report.records === 0 && problems.total > 0) return report;
    const done = { path: input.path, format, records: report.resumed + report.records, lines: report.lines, errors: problems.total, imported: new Date().toISOString() };
    await ledger?.finish(hash, done);
    return report;
  } catch (e) {
    // A damaged file (truncated gzip, unreadable Parquet) is that file's problem, not the run's.
    if (isUnreadable(e)) {
      // What was parsed before the damage is written (it stays resumable like any prefix).
      if (inflight) await inflight;
      return { ...report, status: 'unreadable', reason: (e as Error).message };
    }
    throw e;
  } finally {
    await content?.return(undefined);
  }
}
