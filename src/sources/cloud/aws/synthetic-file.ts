// Synthetic AWS v2 flow-log files (S3 style: header line, gzip) for benchmarks and tests that
// need volume. Each record's `bytes` is its 1-based line number among the records, so a
// reader can check that every record arrived exactly once.

import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

export const AWS_V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

export interface SyntheticOptions {
  records: number;
  gzip: boolean;
  /** Distinct ENIs (the share of repeats drives the string caches). */
  interfaces?: number;
  start?: number;
}

export async function writeSyntheticAwsV2(file: string, o: SyntheticOptions): Promise<void> {
  const enis = Array.from({ length: o.interfaces ?? 200 }, (_, i) => `eni-${(0x0a000000 + i * 7919).toString(16).padStart(17, '0')}`);
  const t0 = o.start ?? 1_700_000_000;
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  async function* chunks(): AsyncGenerator<string> {
    yield AWS_V2_HEADER + '\n';
    const per = 10_000;
    for (let done = 0; done < o.records; done += per) {
      const n = Math.min(per, o.records - done);
      const lines = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const k = done + i + 1;
        const start = t0 + Math.floor(k / 1000);
        lines[i] = `2 123456789012 ${enis[rnd(enis.length)]} 10.${rnd(256)}.${rnd(256)}.${rnd(256)} 172.31.${rnd(256)}.${rnd(256)} ${1024 + rnd(60000)} ${rnd(4) === 0 ? 22 : 443} 6 ${1 + rnd(500)} ${k} ${start} ${start + 60} ${rnd(10) === 0 ? 'REJECT' : 'ACCEPT'} OK`;
      }
      yield lines.join('\n') + '\n';
    }
  }
  const out = fs.createWriteStream(file);
  if (o.gzip) await pipeline(chunks, zlib.createGzip({ level: 1 }), out);
  else await pipeline(chunks, out);
}
