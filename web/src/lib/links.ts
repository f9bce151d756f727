// Links into the search, so every answer can open the flows behind it.

import type { Evidence } from './types';
import { pageHref } from './url';

export function searchHref(query: string, evidence?: Pick<Evidence, 'from' | 'to'>): string {
  const params: Record<string, string | undefined> = { q: query };
  if (evidence) {
    params.from = String(evidence.from);
    params.to = String(evidence.to);
  }
  return pageHref('/search', params);
}

/** A filter that matches one value of a field (quoted when it needs to be). */
export function term(field: string, value: unknown): string {
  const v = String(value ?? '');
  return `${field}:${/^[\w.:/-]+$/.test(v) && v !== '' ? v : JSON.stringify(v)}`;
}
