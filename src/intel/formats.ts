// The threat-list formats by name. Adding a format is adding a parser module and a line here.

import { parseCsv } from './formats/csv.js';
import type { ListParser } from './formats/entry.js';
import { parseIpsum } from './formats/ipsum.js';
import { parseNetset } from './formats/netset.js';
import { parsePlain } from './formats/plain.js';
import { parseSpamhausDrop } from './formats/spamhaus-drop.js';
import { parseStix } from './formats/stix.js';

export type { ListOptions, ParsedList, ListParser } from './formats/entry.js';

export const LIST_FORMATS = {
  plain: parsePlain,
  csv: parseCsv,
  netset: parseNetset,
  spamhaus_drop: parseSpamhausDrop,
  ipsum: parseIpsum,
  stix: parseStix,
} as const satisfies Record<string, ListParser>;

export type ListFormat = keyof typeof LIST_FORMATS;
export const LIST_FORMAT_NAMES = Object.keys(LIST_FORMATS) as ListFormat[];

/** Guesses a list's format from its name and first bytes. */
export function guessFormat(name: string, text: string): ListFormat {
  const head = text.slice(0, 4096);
  const t = head.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    if (/"type"\s*:\s*"(bundle|indicator)"/.test(head) || /"pattern"\s*:/.test(head)) return 'stix';
    if (/"cidr"\s*:/.test(head)) return 'spamhaus_drop';
  }
  if (/spamhaus/i.test(head) || /\bSBL\d+/.test(head)) return 'spamhaus_drop';
  if (/ipsum/i.test(head) || /^\d{1,3}(\.\d{1,3}){3}\t\d+\s*$/m.test(head)) return 'ipsum';
  if (/\.(netset|ipset)$/i.test(name) || /^#\s*(Maintainer|This File Date)\s*:/im.test(head)) return 'netset';
  if (/\.csv$/i.test(name)) return 'csv';
  return 'plain';
}
