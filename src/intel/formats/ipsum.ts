// IPsum (github.com/stamparm/ipsum): "address<TAB>count" per line, the count being how many
// public blocklists carry the address; '#' comments. `min_count` keeps only addresses on at
// least that many lists (upstream suggests 3 for few false positives).

import { contentLines, emptyList, parseEntry, reject, type ListParser } from './entry.js';

export const parseIpsum: ListParser = (text, opts) => {
  const out = emptyList();
  const min = opts.min_count ?? 1;
  for (const { line, n } of contentLines(text, ['#'])) {
    const [addr, countText] = line.split(/\s+/);
    const count = countText === undefined ? 1 : Number(countText);
    const e = parseEntry(addr);
    if (!e || !Number.isFinite(count)) {
      reject(out, `line ${n}`, line);
      continue;
    }
    if (count >= min) out.entries.push(e);
  }
  return out;
};
