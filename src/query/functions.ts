// The functions the SQL part may call: an allowlist, so nothing reaches the engine that could
// read files, settings or other tables. Names are the query language's own; each store's
// compiler maps them to its dialect (e.g. quantile → quantile_cont in DuckDB).

import type { ValueType } from './ast.js';

/** What an argument may be: a number, text, an address, or anything ('value': not an address). */
export type ArgKind = 'num' | 'text' | 'ip' | 'any' | 'value';

export interface FunctionSpec {
  readonly name: string;
  readonly aggregate: boolean;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Accepts `fn(DISTINCT x)`. */
  readonly distinct?: boolean;
  /** Accepts `fn(*)`. */
  readonly star?: boolean;
  /** Accepted kind per argument; the last one repeats. */
  readonly args: readonly ArgKind[];
  /** Result type; 'first' is the type of the first argument that has one. */
  readonly result: ValueType | 'first';
  readonly usage: string;
}

const specs: FunctionSpec[] = [
  { name: 'count', aggregate: true, minArgs: 0, maxArgs: 1, distinct: true, star: true, args: ['any'], result: 'num', usage: 'count(*), count(x), count(DISTINCT x)' },
  { name: 'sum', aggregate: true, minArgs: 1, maxArgs: 1, distinct: true, args: ['num'], result: 'num', usage: 'sum(x)' },
  { name: 'avg', aggregate: true, minArgs: 1, maxArgs: 1, distinct: true, args: ['num'], result: 'num', usage: 'avg(x)' },
  { name: 'min', aggregate: true, minArgs: 1, maxArgs: 1, args: ['any'], result: 'first', usage: 'min(x)' },
  { name: 'max', aggregate: true, minArgs: 1, maxArgs: 1, args: ['any'], result: 'first', usage: 'max(x)' },
  { name: 'any_value', aggregate: true, minArgs: 1, maxArgs: 1, args: ['any'], result: 'first', usage: 'any_value(x): one value of x from the group' },
  { name: 'stddev', aggregate: true, minArgs: 1, maxArgs: 1, args: ['num'], result: 'num', usage: 'stddev(x): sample standard deviation' },
  { name: 'approx_count_distinct', aggregate: true, minArgs: 1, maxArgs: 1, args: ['any'], result: 'num', usage: 'approx_count_distinct(x)' },
  { name: 'quantile', aggregate: true, minArgs: 2, maxArgs: 2, args: ['num', 'num'], result: 'num', usage: 'quantile(x, 0.95): q between 0 and 1, interpolated' },
  { name: 'percentile', aggregate: true, minArgs: 2, maxArgs: 2, args: ['num', 'num'], result: 'num', usage: 'percentile(x, 95): p between 0 and 100, interpolated' },
  { name: 'median', aggregate: true, minArgs: 1, maxArgs: 1, args: ['num'], result: 'num', usage: 'median(x)' },
  { name: 'abs', aggregate: false, minArgs: 1, maxArgs: 1, args: ['num'], result: 'num', usage: 'abs(x)' },
  { name: 'round', aggregate: false, minArgs: 1, maxArgs: 2, args: ['num', 'num'], result: 'num', usage: 'round(x), round(x, digits)' },
  { name: 'floor', aggregate: false, minArgs: 1, maxArgs: 1, args: ['num'], result: 'num', usage: 'floor(x)' },
  { name: 'ceil', aggregate: false, minArgs: 1, maxArgs: 1, args: ['num'], result: 'num', usage: 'ceil(x)' },
  { name: 'greatest', aggregate: false, minArgs: 1, maxArgs: 64, args: ['any'], result: 'first', usage: 'greatest(a, b, …)' },
  { name: 'least', aggregate: false, minArgs: 1, maxArgs: 64, args: ['any'], result: 'first', usage: 'least(a, b, …)' },
  { name: 'coalesce', aggregate: false, minArgs: 1, maxArgs: 64, args: ['any'], result: 'first', usage: 'coalesce(a, b, …): the first that is not null' },
  { name: 'lower', aggregate: false, minArgs: 1, maxArgs: 1, args: ['text'], result: 'text', usage: 'lower(s)' },
  { name: 'upper', aggregate: false, minArgs: 1, maxArgs: 1, args: ['text'], result: 'text', usage: 'upper(s)' },
  { name: 'concat', aggregate: false, minArgs: 1, maxArgs: 64, args: ['value'], result: 'text', usage: 'concat(a, b, …)' },
  { name: 'length', aggregate: false, minArgs: 1, maxArgs: 1, args: ['text'], result: 'num', usage: 'length(s): characters' },
  { name: 'starts_with', aggregate: false, minArgs: 2, maxArgs: 2, args: ['text', 'text'], result: 'bool', usage: 'starts_with(s, prefix)' },
  { name: 'bucket', aggregate: false, minArgs: 2, maxArgs: 2, args: ['num', 'any'], result: 'num', usage: "bucket(start, 300) or bucket(start, '5m'): the time rounded down to a multiple of the width" },
  { name: 'to_timestamp', aggregate: false, minArgs: 1, maxArgs: 1, args: ['num'], result: 'text', usage: 'to_timestamp(start): unix seconds as ISO-8601 text (UTC)' },
  { name: 'to_timestamp_ms', aggregate: false, minArgs: 1, maxArgs: 1, args: ['num'], result: 'text', usage: 'to_timestamp_ms(first_ms): unix milliseconds as ISO-8601 text (UTC)' },
  { name: 'ip_in', aggregate: false, minArgs: 2, maxArgs: 64, args: ['ip', 'text'], result: 'bool', usage: "ip_in(src_addr, '10.0.0.0/8', …): the address is in one of the CIDR blocks" },
];

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(specs.map((f) => [f.name, f]));

export const FUNCTION_NAMES: readonly string[] = specs.map((f) => f.name);
