// Parsing whole files or strings in tests.

import fs from 'node:fs';
import type { FlowRecord } from '../../schema/batch.js';
import { BatchList } from '../source.js';
import type { CloudFormat, ParserOptions } from './parser.js';
import { makeParser } from './parsers.js';
import { ParseProblems } from './problems.js';

export interface Parsed {
  records: FlowRecord[];
  problems: ParseProblems;
  lines: number;
}

export function parseBytes(format: CloudFormat, bytes: Buffer, opts: Partial<ParserOptions> = {}, chunk = 0): Parsed {
  const sink = new BatchList(64);
  const problems = new ParseProblems(1000);
  const p = makeParser(format, sink, { problems, ...opts });
  // Feeding in small chunks exercises lines split across reads.
  if (chunk > 0) for (let o = 0; o < bytes.length; o += chunk) p.push(bytes.subarray(o, o + chunk));
  else p.push(bytes);
  p.end();
  return { records: sink.records(), problems, lines: p.lines };
}

export function parseText(format: CloudFormat, text: string, opts: Partial<ParserOptions> = {}): Parsed {
  return parseBytes(format, Buffer.from(text), opts);
}

export function parseFile(format: CloudFormat, file: string, opts: Partial<ParserOptions> = {}, chunk = 0): Parsed {
  return parseBytes(format, fs.readFileSync(file), opts, chunk);
}

export function isoSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}
