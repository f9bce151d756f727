// Spamhaus DROP / EDROP / DROPv6. Two shapes: the text files ("1.10.16.0/20 ; SBL256894",
// ';' comments) and the JSON-lines files (drop_v4.json: {"cidr": "...", "sblid": "...",
// "rir": "..."} per line, ending with a {"type": "metadata", ...} line).

import { contentLines, emptyList, parseEntry, reject, type ListParser } from './entry.js';

export const parseSpamhausDrop: ListParser = (text) => {
  const out = emptyList();
  const json = text.trimStart().startsWith('{');
  for (const { line, n } of contentLines(text, json ? [] : [';'])) {
    if (!json) {
      const e = parseEntry(line.split(/\s+/)[0]);
      if (e) out.entries.push(e);
      else reject(out, `line ${n}`, line);
      continue;
    }
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      reject(out, `line ${n}`, line);
      continue;
    }
    if (obj.type === 'metadata') {
      for (const [k, v] of Object.entries(obj)) if (k !== 'type' && (typeof v === 'string' || typeof v === 'number')) out.meta[k] = String(v);
      continue;
    }
    const e = typeof obj.cidr === 'string' ? parseEntry(obj.cidr) : undefined;
    if (e) out.entries.push(e);
    else reject(out, `line ${n}`, line);
  }
  return out;
};
