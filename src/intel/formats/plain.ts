// One address, block or range per line; '#' and ';' start comments. The first token of a
// line counts, so "203.0.113.7 scanner" reads as 203.0.113.7.

import { contentLines, emptyList, parseEntry, reject, type ListParser } from './entry.js';

export const parsePlain: ListParser = (text) => {
  const out = emptyList();
  for (const { line, n } of contentLines(text, ['#', ';'])) {
    const token = line.split(/[\s,]+/)[0];
    const e = parseEntry(token);
    if (e) out.entries.push(e);
    else reject(out, `line ${n}`, line);
  }
  return out;
};
