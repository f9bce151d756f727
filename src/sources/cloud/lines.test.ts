import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from './lines.js';

function split(chunks: string[], maxLine?: number): { lines: [number, string][]; tooLong: number[] } {
  const lines: [number, string][] = [];
  const tooLong: number[] = [];
  const s = new LineSplitter((b, st, e, n) => lines.push([n, Buffer.from(b.subarray(st, e)).toString()]), maxLine, (n) => tooLong.push(n));
  for (const c of chunks) s.push(Buffer.from(c));
  s.end();
  return { lines, tooLong };
}

test('lines split across chunks are joined, CRLF is trimmed, a last line without newline is kept', () => {
  assert.deepEqual(split(['ab', 'c\r\nde', 'f\n\ngh']).lines, [
    [1, 'abc'],
    [2, 'def'],
    [3, ''],
    [4, 'gh'],
  ]);
});

test('a line over the limit is skipped and reported with its number; the lines after it are kept', () => {
  const { lines, tooLong } = split(['ok\nxxxxxxxx', 'xxxxxxxx', 'xx\nnext\n'], 10);
  assert.deepEqual(tooLong, [2]);
  assert.deepEqual(lines, [
    [1, 'ok'],
    [3, 'next'],
  ]);
});
