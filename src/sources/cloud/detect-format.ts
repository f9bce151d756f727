// Which cloud wrote a file, judged from its first lines (decompressed) and its path. JSON
// formats name themselves (jsonPayload, flowTuples, logEvents); space-separated lines are
// AWS unless they show Tencent's marks (V1 versions, CCN ids, Tencent-style ENI ids, -1
// placeholders), since the two share the 14-field layout and parse identically.

import { AWS_FIELDS } from './aws/fields.js';
import { isParquet } from './input-files.js';
import { TENCENT_FIELDS } from './tencent/fields.js';
import type { CloudFormat } from './parser.js';

export type DetectedFormat = { format: CloudFormat; container: 'text' | 'parquet' };

const AWS_ENI = /^eni-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const TENCENT_ENI = /^eni-[0-9a-z]{8}$/;

function fromPath(p: string): CloudFormat | undefined {
  const s = p.replace(/\\/g, '/');
  if (/vpcflowlogs|AWSLogs\//.test(s)) return 'aws';
  if (/insights-logs-(networksecuritygroupflowevent|flowlogflowevent)|PT1H\.json/i.test(s)) return 'azure';
  if (/vpc_flows/.test(s)) return 'gcp';
  return undefined;
}

function fromJson(text: string): CloudFormat | undefined {
  if (/"jsonPayload"\s*:/.test(text) && /"connection"\s*:/.test(text)) return 'gcp';
  if (/"flowTuples"\s*:/.test(text)) return 'azure';
  // CloudWatch envelopes and {"message": "<record>"} wrappers: the message is a record line.
  if (/"logEvents"\s*:|"message"\s*:\s*"\d+ /.test(text)) return 'aws';
  // Records as objects keyed by field name (log-service exports).
  if (/"srcaddr"\s*:/.test(text) && /"dstaddr"\s*:/.test(text)) return /"ccn-?id"\s*:/.test(text) ? 'tencent' : 'aws';
  return undefined;
}

const HEADERLESS_COUNTS = new Set([14, 16, 21, 25, 29, 36, 39, 40]);

/** Votes over the first lines of a space-separated file; only record-shaped lines count. */
function fromLines(lines: string[]): CloudFormat | undefined {
  let aws = 0;
  let tencent = 0;
  let headerLength = 0;
  for (const line of lines) {
    let t = line.trim().split(/\s+/);
    if (t.length && /^\d{4}-\d\d-\d\dT/.test(t[0])) t = t.slice(1);
    if (t.length < 2) continue;
    const names = t.map((x) => x.replace(/^\$\{|\}$/g, '').toLowerCase().replace(/_/g, '-'));
    const known = names.filter((x) => AWS_FIELDS.has(x) || TENCENT_FIELDS.has(x)).length;
    if (known >= 2 && known >= 0.8 * names.length) {
      headerLength = t.length;
      if (names.some((x) => x === 'ccnid' || x === 'ccn-id')) tencent += 10;
      else aws += 10;
      continue;
    }
    const tencentVersion = /^V\d+$/i.test(t[0]);
    const recordShaped = tencentVersion || /^\d{1,3}$/.test(t[0]) || (t.length === 16 && t[7]?.startsWith('ccn-'));
    if (!recordShaped || !(HEADERLESS_COUNTS.has(t.length) || t.length === headerLength)) continue;
    if (tencentVersion) tencent += 5;
    if (t.length === 16 && t[7]?.startsWith('ccn-')) tencent += 5;
    else if (t.length === 14) {
      if (AWS_ENI.test(t[2]) || /^\d{12}$/.test(t[1])) aws++;
      else if (TENCENT_ENI.test(t[2])) tencent++;
      if (t.slice(5, 10).includes('-1')) tencent++;
      if (!tencentVersion) aws++;
    } else aws++;
  }
  if (tencent > aws) return 'tencent';
  if (aws > 0) return 'aws';
  return undefined;
}

/**
 * The format of a file from its first bytes (decompressed, ~64 KiB is plenty) and path, or
 * undefined when nothing says.
 */
export function detectFormat(head: Uint8Array, filePath = ''): DetectedFormat | undefined {
  if (isParquet(head)) return { format: 'aws', container: 'parquet' };
  const text = Buffer.from(head).toString('utf8');
  const lines = text
    .split('\n')
    .slice(0, 50)
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (lines.length === 0) {
    const p = fromPath(filePath);
    return p ? { format: p, container: 'text' } : undefined;
  }
  const first = lines[0].trimStart();
  const json = first.startsWith('{') || first.startsWith('[');
  const f = (json ? fromJson(text) : fromLines(lines)) ?? fromPath(filePath);
  return f ? { format: f, container: 'text' } : undefined;
}
