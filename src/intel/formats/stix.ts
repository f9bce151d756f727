// STIX 2.1 (and 2.0) indicators: a bundle ({"type": "bundle", "objects": [...]}), a TAXII
// envelope ({"objects": [...]}), a JSON array, one object, or one object per line. From each
// indicator whose pattern is STIX patterning, that is not revoked and is valid now, the
// addresses and blocks compared with `=`, `IN` or `ISSUBSET` on ipv4-addr:value,
// ipv6-addr:value or network-traffic:{src,dst}_ref.value are taken. Other conditions in the
// same pattern (ports, domains) cannot be checked on flows and are ignored, so such an
// indicator matches a little more traffic than its pattern.

import { emptyList, parseEntry, reject, type ListParser, type ParsedList } from './entry.js';

const COMPARISON = /([a-z0-9-]+):([a-z0-9_.*[\]-]+)\s+(NOT\s+)?(=|!=|<>|<=|>=|<|>|ISSUBSET|ISSUPERSET|IN|LIKE|MATCHES)\s*('(?:[^'\\]|\\.)*'|\((?:[^)'\\]|'(?:[^'\\]|\\.)*')*\))/gi;
const STRING = /'((?:[^'\\]|\\.)*)'/g;

function addressPath(type: string, prop: string): boolean {
  const t = type.toLowerCase();
  const p = prop.toLowerCase();
  if ((t === 'ipv4-addr' || t === 'ipv6-addr') && p === 'value') return true;
  return t === 'network-traffic' && (p === 'src_ref.value' || p === 'dst_ref.value');
}

/** Addresses and blocks a STIX pattern says to match (see the file comment for which). */
export function patternAddresses(pattern: string): { values: string[]; unusable: number } {
  const values: string[] = [];
  let unusable = 0;
  for (const m of pattern.matchAll(COMPARISON)) {
    const [, type, prop, negated, op, operand] = m;
    if (!addressPath(type, prop)) continue;
    const o = op.toUpperCase();
    if (negated || !(o === '=' || o === 'ISSUBSET' || o === 'IN')) {
      unusable++;
      continue;
    }
    for (const s of operand.matchAll(STRING)) values.push(s[1].replace(/\\(.)/g, '$1'));
  }
  return { values, unusable };
}

function objectsOf(text: string): unknown[] {
  const t = text.trim();
  if (t === '') return [];
  try {
    const d = JSON.parse(t) as unknown;
    if (Array.isArray(d)) return d;
    if (d && typeof d === 'object' && Array.isArray((d as { objects?: unknown }).objects)) return (d as { objects: unknown[] }).objects;
    return [d];
  } catch {
    // One object (or bundle) per line.
    return t.split('\n').flatMap((line) => (line.trim() === '' ? [] : objectsOf(line)));
  }
}

function indicator(obj: Record<string, unknown>, now: number, out: ParsedList, where: string): void {
  if (obj.revoked === true) return;
  if (obj.pattern_type !== undefined && obj.pattern_type !== 'stix') return;
  const until = typeof obj.valid_until === 'string' ? Date.parse(obj.valid_until) : NaN;
  if (!Number.isNaN(until) && until / 1000 <= now) return;
  const from = typeof obj.valid_from === 'string' ? Date.parse(obj.valid_from) : NaN;
  if (!Number.isNaN(from) && from / 1000 > now) return;
  if (typeof obj.pattern !== 'string') {
    reject(out, where, JSON.stringify(obj).slice(0, 80));
    return;
  }
  const { values } = patternAddresses(obj.pattern);
  for (const v of values) {
    const e = parseEntry(v);
    if (e) out.entries.push(e);
    else reject(out, where, v);
  }
}

export const parseStix: ListParser = (text, opts) => {
  const out = emptyList();
  const now = opts.now ?? Date.now() / 1000;
  let objects: unknown[];
  try {
    objects = objectsOf(text);
  } catch {
    reject(out, 'document', text.slice(0, 60));
    return out;
  }
  objects.forEach((o, i) => {
    if (!o || typeof o !== 'object') return reject(out, `object ${i + 1}`, String(o));
    const obj = o as Record<string, unknown>;
    if (obj.type === 'bundle' && Array.isArray(obj.objects)) {
      obj.objects.forEach((x, j) => x && typeof x === 'object' && (x as { type?: unknown }).type === 'indicator' && indicator(x as Record<string, unknown>, now, out, `object ${i + 1}.${j + 1}`));
      return;
    }
    if (obj.type === 'indicator') indicator(obj, now, out, `object ${i + 1} (${String(obj.id ?? '')})`);
  });
  return out;
};
