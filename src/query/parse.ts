// Entry points of the query language: text in, tree out (or a located QuerySyntaxError).

import { fieldByName, type FieldName } from '../schema/fields.js';
import { InputError } from '../util/errors.js';
import type { FilterNode, Query } from './ast.js';
import { fail, isQuerySyntaxError } from './errors.js';
import { fieldValue } from './field-values.js';
import { parseFilterPart } from './filter-parser.js';
import { MAX_QUERY_LENGTH } from './limits.js';
import { resolveSelect } from './resolve.js';
import { parseSelectPart } from './sql-parser.js';

function checkText(text: string): void {
  if (text.length > MAX_QUERY_LENGTH) fail(MAX_QUERY_LENGTH, `the query is longer than ${MAX_QUERY_LENGTH} characters`);
  const nul = text.indexOf('\0');
  if (nul >= 0) fail(nul, 'NUL characters are not allowed in a query');
}

/**
 * Parses `filter [| SELECT …]`. The empty query (or one that is only whitespace) matches every
 * flow and has no SQL part.
 */
export function parseQuery(text: string): Query {
  checkText(text);
  const { filter, end } = parseFilterPart(text);
  if (end >= text.length) return { text, filter };
  return { text, filter, select: resolveSelect(parseSelectPart(text, end + 1)) };
}

/** Parses a filter alone (for features that take only a filter: analyses, alert rules). */
export function parseFilter(text: string): FilterNode {
  checkText(text);
  const { filter, end } = parseFilterPart(text);
  if (end < text.length) fail(end, "a filter cannot have an SQL part ('|') here");
  return filter;
}

/**
 * Exact-value filters (`field` equals one of `values`, ANDed across entries) as a filter tree:
 * tenant scopes and URL parameters join the language this way.
 */
export function exactFilter(filters: readonly { field: string; values: readonly string[] }[]): FilterNode {
  const items: FilterNode[] = filters.map((f) => {
    const def = fieldByName(f.field);
    if (!def) throw new InputError(`unknown field '${f.field}'`);
    if (f.values.length === 0) throw new InputError(`${f.field}: no value given`);
    const tests: FilterNode[] = f.values.map((v) => {
      try {
        return { kind: 'test', field: def.name as FieldName, test: { op: 'eq', value: fieldValue(def, v, 0) }, pos: 0 };
      } catch (e) {
        throw isQuerySyntaxError(e) ? new InputError(e.reason) : e;
      }
    });
    return tests.length === 1 ? tests[0] : { kind: 'or', items: tests };
  });
  if (items.length === 0) return { kind: 'all' };
  return items.length === 1 ? items[0] : { kind: 'and', items };
}

/** Both filters must match. */
export function andFilters(a: FilterNode, b: FilterNode): FilterNode {
  if (a.kind === 'all') return b;
  if (b.kind === 'all') return a;
  return { kind: 'and', items: [a, b] };
}
