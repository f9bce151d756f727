// FireHOL netsets (iplists.firehol.org): '#' comment header with the list's metadata
// ("# Maintainer:", "# List source URL:", "# This File Date:" …), then one address or CIDR
// block per line.

import { contentLines, emptyList, parseEntry, reject, type ListParser } from './entry.js';

export const parseNetset: ListParser = (text) => {
  const out = emptyList();
  for (const m of text.matchAll(/^#[ \t]*([A-Za-z][A-Za-z ]{1,40}?)[ \t]*:[ \t]*(.*?)[ \t]*$/gm)) {
    const key = m[1].trim().toLowerCase().replace(/\s+/g, '_');
    if (m[2] !== '' && !(key in out.meta)) out.meta[key] = m[2];
  }
  for (const { line, n } of contentLines(text, ['#'])) {
    const e = parseEntry(line);
    if (e) out.entries.push(e);
    else reject(out, `line ${n}`, line);
  }
  return out;
};
