// POST /api/ingest/{format}: cloud flow-log lines pushed by log shippers (Fluent Bit, Vector,
// Logstash, a Lambda on an S3 bucket). The body is the file's text, optionally gzip
// (Content-Encoding: gzip); format is aws, tencent, gcp, azure or auto. The reply comes once
// the records are durable and says how many were stored, which lines were bad and why, and how
// many records were refused because the caller's token does not cover their account.

import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { FlowBatch } from '../../schema/batch.js';
import { detectFormat } from '../../sources/cloud/detect-format.js';
import { makeParser } from '../../sources/cloud/parsers.js';
import { CLOUD_FORMATS, type CloudFormat } from '../../sources/cloud/parser.js';
import { ParseProblems } from '../../sources/cloud/problems.js';
import { BatchCollector } from '../../sources/source.js';
import type { ApiContext } from '../context.js';
import { ALL_ACCOUNTS, type Principal } from '../tokens.js';

/** Decompressed bodies larger than this are refused (a gzip bomb must not fill memory). */
export const MAX_INGEST_BYTES = 512 * 1024 * 1024;
const SHOWN_ERRORS = 100;
const OUT_OF_SCOPE = 'account not covered by the token';

export interface IngestResult {
  format: CloudFormat;
  lines: number;
  /** Records stored durably. */
  records: number;
  /** Bad lines and refused records, by reason. */
  rejected: Record<string, number>;
  /** The first bad lines, with their line number in the body. */
  errors: { line: number; where?: string; reason: string }[];
}

/** Keeps only the rows whose account the caller may write; counts the others. */
function scopeRows(batch: FlowBatch, p: Principal): { kept: FlowBatch; refused: number } {
  if (p.accounts.includes(ALL_ACCOUNTS)) return { kept: batch, refused: 0 };
  const allowed = new Set(p.accounts);
  const col = batch.cols.account_id;
  const ok = col.dict.values.map((a) => allowed.has(a));
  let refused = 0;
  for (let i = 0; i < batch.length; i++) if (!ok[col.codes[i]]) refused++;
  if (refused === 0) return { kept: batch, refused };
  return { kept: batch.filter((i) => ok[col.codes[i]]), refused };
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return body;
  if (enc === 'gzip' || enc === 'x-gzip') {
    try {
      return zlib.gunzipSync(body, { maxOutputLength: MAX_INGEST_BYTES });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_BUFFER_TOO_LARGE') throw Object.assign(new Error(`body expands to more than ${MAX_INGEST_BYTES >> 20} MiB; send smaller batches`), { statusCode: 413 });
      throw Object.assign(new Error(`body is not valid gzip (${err.message})`), { statusCode: 400 });
    }
  }
  throw Object.assign(new Error(`Content-Encoding '${enc}' is not supported (use gzip or none)`), { statusCode: 415 });
}

export function ingestRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const pipeline = ctx.pipeline;
  const requests = ctx.metrics.counter('flowlogs_ingest_requests_total', 'HTTP ingest requests, by format and status code');
  const refusedLines = ctx.metrics.counter('flowlogs_ingest_rejected_total', 'Lines or records refused by HTTP ingest, by format and reason');

  // Bodies are flow-log text or JSON read by our own parsers, so every content type is taken
  // as raw bytes here (in this route's scope only).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.post<{ Params: { format: string } }>('/api/ingest/:format', async (req, reply) => {
      const asked = req.params.format;
      if (asked !== 'auto' && !(CLOUD_FORMATS as readonly string[]).includes(asked)) {
        reply.code(404);
        return { error: `unknown format '${asked}' (use ${['auto', ...CLOUD_FORMATS].join(', ')})` };
      }
      if (!pipeline) {
        reply.code(503);
        return { error: 'this server has no write pipeline; ingest is not available' };
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const body = decode(raw, req.headers['content-encoding'] as string | undefined);
      let format: CloudFormat;
      if (asked === 'auto') {
        const d = detectFormat(body.subarray(0, 64 * 1024));
        if (!d || d.container !== 'text') {
          reply.code(400);
          return { error: 'cannot tell which cloud wrote this body; post to /api/ingest/aws, tencent, gcp or azure' };
        }
        format = d.format;
      } else format = asked as CloudFormat;

      const batches: FlowBatch[] = [];
      const problems = new ParseProblems(SHOWN_ERRORS);
      const collector = new BatchCollector((b) => batches.push(b));
      const parser = makeParser(format, collector, { problems });
      parser.push(body);
      parser.end();
      collector.flush();

      let stored = 0;
      let refused = 0;
      const writes: Promise<void>[] = [];
      for (const b of batches) {
        const { kept, refused: n } = scopeRows(b, req.principal);
        refused += n;
        if (kept.length === 0) continue;
        // All at once: they share the store's next segments instead of waiting in turn.
        writes.push(pipeline.push(kept, `ingest:${format}`));
        stored += kept.length;
      }
      await Promise.all(writes);
      const rejected: Record<string, number> = Object.fromEntries(problems.byReason);
      if (refused) rejected[OUT_OF_SCOPE] = refused;
      for (const [reason, n] of Object.entries(rejected)) refusedLines.inc({ format, reason }, n);
      const result: IngestResult = { format, lines: parser.lines, records: stored, rejected, errors: problems.first };
      // Partial success is success (the errors say which lines to fix); nothing stored is not.
      const status = stored > 0 || (problems.total === 0 && refused === 0) ? 200 : refused > 0 && problems.total === 0 ? 403 : 400;
      requests.inc({ format, status: String(status) });
      reply.code(status);
      return result;
    });
  });
}
