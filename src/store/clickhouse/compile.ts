// The query tree (src/query) as ClickHouse SQL over the relation `flows`, for ClickHouse 18.16
// and later, giving the answers the DuckDB compiler gives. Literals are written from typed
// values by the quoting helpers (18.16 has no query parameters). Where ClickHouse differs
// from DuckDB the difference is made up here:
// - A select alias in ClickHouse is visible everywhere in its query and shadows columns
//   (`sum(bytes) AS bytes … WHERE bytes > 5` would filter on the sum). So the statement is
//   two queries: the inner one computes every item under a neutral alias (_c0, _c1, …; aliases
//   the user wrote are inlined as expressions, as for DuckDB), the outer one renames them and
//   orders and limits.
// - Aggregates over no rows are NULL in DuckDB and 0 in ClickHouse: outside GROUP BY they are
//   wrapped to be NULL when nothing matched. Modulo by zero gives NULL (an error in ClickHouse);
//   division by zero gives ±Infinity or NaN on both.
// - Booleans leave as a marker enum (native-read.ts) since 18.16 has no Bool type.
// - Functions 18.16 lacks are spelled out: greatest/least of many arguments nest, ILIKE
//   compares lower-cased text, exact interpolated quantiles sort the group's values.

import { FIELDS, fieldByName, type FieldName } from '../../schema/fields.js';
import type { Expr, FieldTest, FilterNode, FilterValue, IpWords, Query, SelectNode, ValueType } from '../../query/ast.js';
import { likePattern, type CompiledColumn, type CompiledQuery, type CompileOptions } from '../duckdb/compile.js';
import { registerCompiler } from '../compile.js';
import { BOOL_ENUM } from './native-read.js';
import { ipLiteral, numLiteral, quoteIdent, quoteString } from './sql.js';

/** A result column's name as an alias: any text, backquoted. */
export function quoteAlias(name: string): string {
  return `\`${name.replace(/[\\`]/g, (c) => '\\' + c)}\``;
}

/** A search's order: newest first, ties broken by the flow's key so pages never overlap. */
const NEWEST_FIRST = '`start` DESC, `first_ms` DESC, `interface_id`, `src_addr`, `dst_addr`, `src_port`, `dst_port`';

const ENUMS = new Set(FIELDS.filter((f) => f.type === 'enum').map((f) => f.name as string));
const WIDEN = new Set(FIELDS.filter((f) => ['u8', 'u16', 'u32', 'time_s', 'u64', 'time_ms', 'mac'].includes(f.type)).map((f) => f.name as string));
const TEXT = new Set(FIELDS.filter((f) => f.type === 'string' || f.type === 'enum').map((f) => f.name as string));

function ipSql(w: IpWords): string {
  return ipLiteral(w);
}

function valueSql(v: FilterValue): string {
  switch (v.kind) {
    case 'num':
      return numLiteral(v.value);
    case 'str':
      return quoteString(v.value);
    case 'ip':
      return ipSql(v.words);
  }
}

/** A stored column in a filter: enums compare as their names except for plain equality. */
function filterColumn(field: FieldName, asText: boolean): string {
  const col = quoteIdent(field);
  return asText && (ENUMS.has(field) || !TEXT.has(field)) && fieldByName(field)!.type !== 'ip' ? `toString(${col})` : col;
}

function testSql(field: FieldName, t: FieldTest): string {
  switch (t.op) {
    case 'eq':
      return `${filterColumn(field, false)} = ${valueSql(t.value)}`;
    case 'cmp':
      return `${filterColumn(field, t.value.kind === 'str')} ${t.cmp} ${valueSql(t.value)}`;
    case 'cidr':
      return `${quoteIdent(field)} BETWEEN ${ipSql(t.lo)} AND ${ipSql(t.hi)}`;
    case 'glob':
      return `${filterColumn(field, true)} LIKE ${quoteString(likePattern(t.parts))}`;
    case 'range': {
      const text = (t.low?.value.kind ?? t.high?.value.kind) === 'str';
      const col = filterColumn(field, text);
      const parts: string[] = [];
      if (t.low) parts.push(`${col} ${t.low.inclusive ? '>=' : '>'} ${valueSql(t.low.value)}`);
      if (t.high) parts.push(`${col} ${t.high.inclusive ? '<=' : '<'} ${valueSql(t.high.value)}`);
      return parts.length ? parts.join(' AND ') : '1';
    }
  }
}

function filterSql(f: FilterNode): string {
  switch (f.kind) {
    case 'all':
      return '1';
    case 'test':
      return testSql(f.field, f.test);
    case 'not':
      return `NOT (${filterSql(f.item)})`;
    case 'and':
      return f.items.map((i) => `(${filterSql(i)})`).join(' AND ');
    case 'or':
      return f.items.map((i) => `(${filterSql(i)})`).join(' OR ');
  }
}

/** The filter part alone, as a WHERE expression over the stored columns ('1' for all). */
export function compileFilter(f: FilterNode): string {
  return filterSql(f);
}

const SIMPLE: Record<string, string> = {
  abs: 'abs',
  round: 'round',
  floor: 'floor',
  ceil: 'ceil',
  coalesce: 'coalesce',
  lower: 'lowerUTF8',
  upper: 'upperUTF8',
  length: 'lengthUTF8',
  starts_with: 'startsWith',
  any_value: 'any',
  approx_count_distinct: 'uniq',
  stddev: 'stddevSamp',
  min: 'min',
  max: 'max',
  avg: 'avg',
  sum: 'sum',
};

const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'any_value', 'approx_count_distinct', 'stddev', 'quantile', 'percentile', 'median']);

function isLiteral(e: Expr): boolean {
  return e.kind === 'num' || e.kind === 'str' || e.kind === 'bool' || e.kind === 'null' || e.kind === 'ip' || (e.kind === 'neg' && e.arg.kind === 'num');
}

class ExprCompiler {
  constructor(
    private readonly sel: SelectNode | undefined,
    private readonly rollup: boolean,
    /** Aggregates become NULL over no rows (a query without GROUP BY). */
    private readonly nullWhenEmpty: boolean,
  ) {}

  aliasExpr(name: string): Expr {
    const item = this.sel?.items.find((i) => i.alias === name);
    if (!item?.expr) throw new Error(`alias ${name} has no expression`);
    return item.expr;
  }

  ordinalExpr(index: number): Expr {
    const item = this.sel?.items[index - 1];
    if (!item?.expr) throw new Error(`no select item ${index}`);
    return item.expr;
  }

  private resolve(e: Expr): Expr {
    if (e.kind === 'alias') return this.aliasExpr(e.name);
    if (e.kind === 'ordinal') return this.ordinalExpr(e.index);
    return e;
  }

  /** Text of an expression, parenthesised unless it is a single term. */
  private term(e: Expr): string {
    const t = this.expr(e);
    return /^[`A-Za-z0-9_.']+$/.test(t) || /^[A-Za-z0-9_]+\(.*\)$/s.test(t) && balanced(t) ? t : `(${t})`;
  }

  /** An operand of arithmetic: unsigned columns widen to signed 64 bits first. */
  private operand(e: Expr): string {
    const r = this.resolve(e);
    if (r.kind === 'field' && WIDEN.has(r.name)) return `toInt64(${quoteIdent(r.name)})`;
    return this.term(r);
  }

  /** An expression used as text: anything that is not already text becomes text. */
  private text(e: Expr): string {
    const r = this.resolve(e);
    if (r.kind === 'str') return this.expr(r);
    return `toString(${this.expr(r)})`;
  }

  expr(e: Expr): string {
    switch (e.kind) {
      case 'field':
        return ENUMS.has(e.name) ? `toString(${quoteIdent(e.name)})` : quoteIdent(e.name);
      case 'alias':
        return this.expr(this.aliasExpr(e.name));
      case 'ordinal':
        return this.expr(this.ordinalExpr(e.index));
      case 'num':
        return numLiteral(e.value);
      case 'str':
        return quoteString(e.value);
      case 'bool':
        return e.value ? '1' : '0';
      case 'null':
        return 'NULL';
      case 'ip':
        return ipSql(e.words);
      case 'cidr':
        throw new Error('a CIDR block outside ip_in');
      case 'neg':
        return `negate(${this.operand(e.arg)})`;
      case 'not':
        return `NOT ${this.term(e.arg)}`;
      case 'arith':
        if (e.op === '%') {
          // Both branches of if() are evaluated: the divisor must never be zero, even unused.
          const r = this.operand(e.right);
          return `if(${r} = 0, NULL, ${this.operand(e.left)} % if(${r} = 0, 1, ${r}))`;
        }
        return `${this.operand(e.left)} ${e.op} ${this.operand(e.right)}`;
      case 'concat':
        return `concat(${this.text(e.left)}, ${this.text(e.right)})`;
      case 'compare':
        return `${this.term(e.left)} ${e.op} ${this.term(e.right)}`;
      case 'logic':
        return e.args.map((a) => this.term(a)).join(e.op === 'and' ? ' AND ' : ' OR ');
      case 'isnull':
        return `${e.negated ? 'isNotNull' : 'isNull'}(${this.expr(e.arg)})`;
      case 'in': {
        const arg = this.term(e.arg);
        if (e.list.every(isLiteral)) return `${arg} ${e.negated ? 'NOT ' : ''}IN (${e.list.map((x) => this.expr(x)).join(', ')})`;
        // ClickHouse's IN takes constants only.
        const any = e.list.map((x) => `${arg} = ${this.term(x)}`).join(' OR ');
        return e.negated ? `NOT (${any})` : `(${any})`;
      }
      case 'between': {
        const b = `${this.term(e.arg)} BETWEEN ${this.term(e.low)} AND ${this.term(e.high)}`;
        return e.negated ? `NOT (${b})` : b;
      }
      case 'like': {
        const arg = this.text(e.arg);
        const pattern = this.text(e.pattern);
        const l = e.caseInsensitive ? `lowerUTF8(${arg}) LIKE lowerUTF8(${pattern})` : `${arg} LIKE ${pattern}`;
        return e.negated ? `NOT (${l})` : l;
      }
      case 'case': {
        let text = 'CASE';
        if (e.operand) text += ` ${this.expr(e.operand)}`;
        for (const w of e.whens) text += ` WHEN ${this.expr(w.when)} THEN ${this.expr(w.then)}`;
        if (e.else) text += ` ELSE ${this.expr(e.else)}`;
        return `${text} END`;
      }
      case 'cast': {
        const a = this.expr(e.arg);
        switch (e.to) {
          case 'integer':
            // DuckDB rounds half away from zero when it casts to an integer; so does round().
            return `toInt64(round(toFloat64(${a})))`;
          case 'double':
            return `toFloat64(${a})`;
          case 'text':
            return `toString(${a})`;
          case 'boolean':
            return `(toFloat64OrZero(toString(${a})) != 0 OR lowerUTF8(toString(${a})) IN ('true', 't', 'yes', 'y'))`;
        }
        throw new Error(`no cast to ${String(e.to)}`);
      }
      case 'call':
        return this.call(e);
    }
  }

  private aggregate(text: string): string {
    return this.nullWhenEmpty ? `if(count() = 0, NULL, ${text})` : text;
  }

  /**
   * Exact quantile with linear interpolation between the two nearest values, computed as
   * DuckDB's quantile_cont does (lo·(1−d) + hi·d), so the two agree to the last bit.
   */
  private quantile(x: Expr, q: string): string {
    const s = `arraySort(groupArray(toFloat64(${this.expr(x)})))`;
    const pos = `(${q}) * (length(${s}) - 1)`;
    const lo = `toUInt64(floor(${pos}))`;
    const d = `(${pos} - floor(${pos}))`;
    const at = (i: string) => `arrayElement(${s}, ${i})`;
    return `if(length(${s}) = 0, NULL, ${at(`${lo} + 1`)} * (1 - ${d}) + ${at(`least(${lo} + 2, length(${s}))`)} * ${d})`;
  }

  private call(e: Expr & { kind: 'call' }): string {
    const fn = e.fn;
    if (fn === 'count' && e.star) return this.rollup ? 'sum(`flows`)' : 'count()';
    if (fn === 'count') return `count(${e.distinct ? 'DISTINCT ' : ''}${this.expr(e.args[0])})`;
    if (fn === 'ip_in') {
      const addr = this.term(e.args[0]);
      const ranges = e.args.slice(1).map((c) => {
        if (c.kind !== 'cidr') throw new Error('ip_in needs CIDR blocks');
        return `${addr} BETWEEN ${ipSql(c.lo)} AND ${ipSql(c.hi)}`;
      });
      return ranges.length === 1 ? ranges[0] : `(${ranges.join(' OR ')})`;
    }
    const args = e.args.map((a) => this.expr(a));
    if (AGGREGATES.has(fn)) {
      if (fn === 'quantile' || fn === 'percentile' || fn === 'median') {
        const q = fn === 'median' ? '0.5' : fn === 'percentile' ? `${args[1]} / 100` : args[1];
        return this.quantile(e.args[0], q);
      }
      if (e.distinct && (fn === 'sum' || fn === 'avg')) {
        const u = `groupUniqArray(${args[0]})`;
        return this.aggregate(fn === 'sum' ? `arraySum(${u})` : `arraySum(${u}) / length(${u})`);
      }
      // The sample deviation of fewer than two values is NULL in DuckDB, NaN here.
      if (fn === 'stddev') return this.aggregate(`if(count(${args[0]}) < 2, NULL, stddevSamp(${args[0]}))`);
      return this.aggregate(`${SIMPLE[fn]}(${args.join(', ')})`);
    }
    if (SIMPLE[fn]) return `${SIMPLE[fn]}(${args.join(', ')})`;
    switch (fn) {
      case 'greatest':
      case 'least':
        // 18.16 takes exactly two arguments.
        return args.reduceRight((acc, a) => `${fn}(${a}, ${acc})`);
      case 'concat':
        // Like DuckDB's concat(), NULL arguments count as empty text.
        return `concat(${e.args.map((a) => `ifNull(${this.text(a)}, '')`).join(', ')}${e.args.length === 1 ? ", ''" : ''})`;
      case 'bucket':
        return `intDiv(${this.expr(e.args[0])}, ${args[1]}) * ${args[1]}`;
      case 'to_timestamp':
        return `formatDateTime(toDateTime(toUInt32(${args[0]})), '%Y-%m-%dT%H:%M:%SZ', 'UTC')`;
      case 'to_timestamp_ms': {
        const ms = `toUInt64(${args[0]})`;
        return `concat(formatDateTime(toDateTime(toUInt32(intDiv(${ms}, 1000))), '%Y-%m-%dT%H:%M:%S', 'UTC'), '.', substring(toString(1000 + ${ms} % 1000), 2, 3), 'Z')`;
      }
    }
    throw new Error(`no ClickHouse form for function ${fn}`);
  }
}

/** True when the parentheses of `t` (outside quotes) close only at its end. */
function balanced(t: string): boolean {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0 && i !== t.length - 1) return false;
    }
  }
  return depth === 0;
}

function fieldType(name: FieldName): ValueType {
  const t = fieldByName(name)!.type;
  return t === 'ip' ? 'ip' : t === 'string' || t === 'enum' ? 'text' : 'num';
}

const ALL_SELECT = FIELDS.map((f) => quoteIdent(f.name)).join(', ');
const ALL_COLUMNS: CompiledColumn[] = FIELDS.map((f) => ({ name: f.name, type: fieldType(f.name), field: f.name }));

function whereSql(parts: (string | undefined)[]): string {
  const present = parts.filter((x): x is string => x !== undefined);
  if (present.length === 0) return '';
  return ` WHERE ${present.map((s) => `(${s})`).join(' AND ')}`;
}

function filterPart(f: FilterNode | undefined): string | undefined {
  return f && f.kind !== 'all' ? filterSql(f) : undefined;
}

const NO_LIMIT = '18446744073709551615';

function limitSql(own: number | undefined, max: number | undefined, offset: number | undefined): string {
  const n = Math.min(own ?? Infinity, max ?? Infinity);
  const limit = Number.isFinite(n) ? String(Math.max(0, Math.floor(n))) : offset !== undefined ? NO_LIMIT : undefined;
  if (limit === undefined) return '';
  return ` LIMIT ${limit}${offset !== undefined ? ` OFFSET ${Math.max(0, Math.floor(offset))}` : ''}`;
}

/** A whole query as one statement over `flows`, with the scope ANDed into its WHERE. */
export function compileQuery(q: Query, opts: CompileOptions = {}): CompiledQuery {
  const scope = filterPart(opts.scope);
  const filter = filterPart(q.filter);
  const sel = q.select;
  if (!sel) {
    const where = whereSql([scope, filter]);
    const limit = limitSql(undefined, opts.maxRows, undefined);
    if (!limit) return { sql: `SELECT ${ALL_SELECT} FROM flows${where} ORDER BY ${NEWEST_FIRST}`, columns: ALL_COLUMNS };
    // The newest N records: first the window start of the Nth newest, reading only `start`
    // and the filtered columns, then whole records from that start on. Sorting every matching
    // record with all its columns, as the plain query does in 18.16, reads far more.
    const cutoff = `(SELECT min(\`start\`) FROM (SELECT \`start\` FROM flows${where} ORDER BY \`start\` DESC${limit}))`;
    return {
      sql: `SELECT ${ALL_SELECT} FROM flows${whereSql([scope, filter, `\`start\` >= ${cutoff}`])} ORDER BY ${NEWEST_FIRST}${limit}`,
      columns: ALL_COLUMNS,
    };
  }
  const c = new ExprCompiler(sel, opts.rollup ?? false, sel.aggregate && sel.groupBy.length === 0);
  const columns: CompiledColumn[] = [];
  const inner: string[] = [];
  const outer: string[] = [];
  for (const item of sel.items) {
    if (!item.expr) {
      for (const f of FIELDS) {
        const k = inner.length;
        inner.push(`${quoteIdent(f.name)} AS _c${k}`);
        outer.push(`_c${k} AS ${quoteAlias(f.name)}`);
      }
      columns.push(...ALL_COLUMNS);
      continue;
    }
    const k = inner.length;
    inner.push(`${c.expr(item.expr)} AS _c${k}`);
    outer.push(item.type === 'bool' ? `CAST(_c${k} AS Nullable(${BOOL_ENUM})) AS ${quoteAlias(item.name)}` : `_c${k} AS ${quoteAlias(item.name)}`);
    columns.push({ name: item.name, type: item.type, ...(item.expr.kind === 'field' ? { field: item.expr.name } : {}) });
  }
  const visible = inner.length;
  const order: string[] = [];
  for (const o of sel.orderBy) {
    let key: string;
    if (o.expr.kind === 'ordinal') key = `_c${columnIndex(sel, o.expr.index - 1)}`;
    else if (o.expr.kind === 'alias') key = `_c${columnIndex(sel, sel.items.findIndex((i) => i.alias === (o.expr as { name: string }).name))}`;
    else {
      const text = c.expr(o.expr);
      const same = inner.findIndex((s, k) => k < visible && s === `${text} AS _c${k}`);
      if (same >= 0) key = `_c${same}`;
      else {
        key = `_o${order.length}`;
        inner.push(`${text} AS ${key}`);
      }
    }
    order.push(`${key}${o.desc ? ' DESC' : ''} NULLS ${(o.nulls ?? 'last').toUpperCase()}`);
  }
  const own = sel.where ? c.expr(sel.where) : undefined;
  let sql = `SELECT ${sel.distinct ? 'DISTINCT ' : ''}${inner.join(', ')} FROM flows`;
  sql += whereSql([scope, filter, own]);
  if (sel.groupBy.length) sql += ` GROUP BY ${sel.groupBy.map((g) => c.expr(g)).join(', ')}`;
  if (sel.having) sql += ` HAVING ${c.expr(sel.having)}`;
  let out = `SELECT ${outer.join(', ')} FROM (${sql})`;
  if (order.length) out += ` ORDER BY ${order.join(', ')}`;
  out += limitSql(sel.limit, opts.maxRows, sel.offset);
  return { sql: out, columns };
}

/** Index of the first inner column of select item `item` (a `*` spans every field). */
function columnIndex(sel: SelectNode, item: number): number {
  let k = 0;
  for (let i = 0; i < item; i++) k += sel.items[i].expr ? 1 : FIELDS.length;
  return k;
}

registerCompiler('clickhouse', compileQuery);
