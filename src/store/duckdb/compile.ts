// The query tree (src/query) as DuckDB SQL over the relation `flows`. Every literal is written
// by the quoting helpers from a typed value, never copied from the query text: addresses become
// UUID literals (the stored form), CIDR blocks BETWEEN ranges, wildcards LIKE patterns with
// their own escaping. Choices that differ between engines (function names, how a time bucket
// or a timestamp is spelled, where aliases may be referenced) live here, not in the tree.

import { FIELDS, fieldByName, type FieldName } from '../../schema/fields.js';
import type { CastType, Expr, FieldTest, FilterNode, FilterValue, GlobPart, IpWords, Query, SelectNode, ValueType } from '../../query/ast.js';
import { quoteIdent, quoteString, uuidLiteral } from './sql.js';

export interface CompileOptions {
  /** Also required of every row (the caller's tenant scope). */
  scope?: FilterNode;
  /** Ceiling on the rows returned: the query's own LIMIT is lowered to it. */
  maxRows?: number;
  /**
   * `flows` is a rollup tier (src/store/rollups.ts): each row stands for `flows` records with
   * summed packets and bytes, so count(*) becomes sum(flows).
   */
  rollup?: boolean;
}

export interface CompiledColumn {
  name: string;
  type: ValueType;
  /** Set when the column is a flow field as stored. */
  field?: FieldName;
}

export interface CompiledQuery {
  /** A statement for `FlowStore.sql(sql, range)`. */
  sql: string;
  columns: CompiledColumn[];
  /** Set for a plain search with a row ceiling: newest first, at most this many rows. */
  newestFirst?: number;
}

/** Binding strength, loosest first; a child looser than its place gets parentheses. */
const P = { Or: 1, And: 2, Not: 3, Predicate: 4, Concat: 5, Add: 6, Mul: 7, Neg: 8, Atom: 9 } as const;
type P = (typeof P)[keyof typeof P];

interface Sql {
  text: string;
  p: P;
}

const CAST: Record<CastType, string> = { integer: 'BIGINT', double: 'DOUBLE', text: 'VARCHAR', boolean: 'BOOLEAN' };

/** Integer columns are unsigned and narrow in storage; arithmetic widens them first. */
const WIDEN = new Set(FIELDS.filter((f) => ['u8', 'u16', 'u32', 'time_s', 'u64', 'time_ms', 'mac'].includes(f.type)).map((f) => f.name as string));

function ipLiteral(w: IpWords): string {
  return uuidLiteral(Uint32Array.from(w));
}

function numLiteral(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

function valueSql(v: FilterValue): string {
  switch (v.kind) {
    case 'num':
      return numLiteral(v.value);
    case 'str':
      return quoteString(v.value);
    case 'ip':
      return ipLiteral(v.words);
  }
}

function wrap(s: Sql, min: P): string {
  return s.p < min ? `(${s.text})` : s.text;
}

/** A LIKE pattern for a wildcard value: `\`, `%` and `_` in literal text are escaped. */
export function likePattern(parts: readonly GlobPart[]): string {
  let out = '';
  for (const p of parts) {
    if ('literal' in p) out += p.literal.replace(/[\\%_]/g, (c) => '\\' + c);
    else out += 'any' in p ? '%' : '_';
  }
  return out;
}

const ESCAPE = ` ESCAPE '\\'`;

function testSql(col: string, t: FieldTest): Sql {
  switch (t.op) {
    case 'eq':
      return { text: `${col} = ${valueSql(t.value)}`, p: P.Predicate };
    case 'cmp':
      return { text: `${col} ${t.cmp} ${valueSql(t.value)}`, p: P.Predicate };
    case 'cidr':
      return { text: `${col} BETWEEN ${ipLiteral(t.lo)} AND ${ipLiteral(t.hi)}`, p: P.Predicate };
    case 'glob':
      return { text: `${col} LIKE ${quoteString(likePattern(t.parts))}${ESCAPE}`, p: P.Predicate };
    case 'range': {
      const { low, high } = t;
      if (low?.inclusive && high?.inclusive) return { text: `${col} BETWEEN ${valueSql(low.value)} AND ${valueSql(high.value)}`, p: P.Predicate };
      const parts: string[] = [];
      if (low) parts.push(`${col} ${low.inclusive ? '>=' : '>'} ${valueSql(low.value)}`);
      if (high) parts.push(`${col} ${high.inclusive ? '<=' : '<'} ${valueSql(high.value)}`);
      return parts.length === 1 ? { text: parts[0], p: P.Predicate } : { text: parts.join(' AND '), p: P.And };
    }
  }
}

function filterSql(f: FilterNode): Sql {
  switch (f.kind) {
    case 'all':
      return { text: 'TRUE', p: P.Atom };
    case 'test':
      return testSql(quoteIdent(f.field), f.test);
    case 'not':
      return { text: `NOT ${wrap(filterSql(f.item), P.Atom)}`, p: P.Not };
    case 'and':
      return { text: f.items.map((i) => wrap(filterSql(i), P.Not)).join(' AND '), p: P.And };
    case 'or':
      return { text: f.items.map((i) => wrap(filterSql(i), P.And)).join(' OR '), p: P.Or };
  }
}

/** The filter part alone, as a WHERE expression over the stored columns ('TRUE' for all). */
export function compileFilter(f: FilterNode): string {
  return filterSql(f).text;
}

const DIRECT = new Set(['count', 'sum', 'avg', 'min', 'max', 'any_value', 'approx_count_distinct', 'abs', 'round', 'floor', 'ceil', 'greatest', 'least', 'coalesce', 'lower', 'upper', 'concat', 'length', 'starts_with']);
const RENAMED: Record<string, string> = { stddev: 'stddev_samp', quantile: 'quantile_cont' };

class ExprCompiler {
  constructor(
    private readonly sel?: SelectNode,
    private readonly rollup = false,
  ) {}

  /** Select items by alias, for inlining: DuckDB cannot see aliases inside aggregates. */
  private aliasExpr(name: string): Expr {
    const item = this.sel?.items.find((i) => i.alias === name);
    if (!item?.expr) throw new Error(`alias ${name} has no expression`);
    return item.expr;
  }

  expr(e: Expr): Sql {
    switch (e.kind) {
      case 'field':
        return { text: quoteIdent(e.name), p: P.Atom };
      case 'alias':
        return this.expr(this.aliasExpr(e.name));
      case 'ordinal':
        return { text: String(e.index), p: P.Atom };
      case 'num':
        return { text: numLiteral(e.value), p: e.value < 0 ? P.Neg : P.Atom };
      case 'str':
        return { text: quoteString(e.value), p: P.Atom };
      case 'bool':
        return { text: e.value ? 'TRUE' : 'FALSE', p: P.Atom };
      case 'null':
        return { text: 'NULL', p: P.Atom };
      case 'ip':
        return { text: ipLiteral(e.words), p: P.Atom };
      case 'cidr':
        throw new Error('a CIDR block outside ip_in');
      case 'neg': {
        const a = this.arithOperand(e.arg, P.Neg);
        return { text: `-${a.startsWith('-') ? `(${a})` : a}`, p: P.Neg };
      }
      case 'not':
        return { text: `NOT ${wrap(this.expr(e.arg), P.Not)}`, p: P.Not };
      case 'arith': {
        const p = e.op === '+' || e.op === '-' ? P.Add : P.Mul;
        // Division and modulo cannot overflow, and keep their operands' types.
        if (e.op === '/' || e.op === '%') return { text: `${wrap(this.expr(e.left), p)} ${e.op} ${wrap(this.expr(e.right), (p + 1) as P)}`, p };
        return { text: `${this.arithOperand(e.left, p)} ${e.op} ${this.arithOperand(e.right, (p + 1) as P)}`, p };
      }
      case 'concat':
        return { text: `${wrap(this.expr(e.left), P.Concat)} || ${wrap(this.expr(e.right), P.Add)}`, p: P.Concat };
      case 'compare':
        return { text: `${wrap(this.expr(e.left), P.Concat)} ${e.op === '!=' ? '<>' : e.op} ${wrap(this.expr(e.right), P.Concat)}`, p: P.Predicate };
      case 'logic':
        return e.op === 'and'
          ? { text: e.args.map((a) => wrap(this.expr(a), P.Not)).join(' AND '), p: P.And }
          : { text: e.args.map((a) => wrap(this.expr(a), P.And)).join(' OR '), p: P.Or };
      case 'isnull':
        return { text: `${wrap(this.expr(e.arg), P.Concat)} IS ${e.negated ? 'NOT ' : ''}NULL`, p: P.Predicate };
      case 'in':
        return { text: `${wrap(this.expr(e.arg), P.Concat)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map((x) => this.expr(x).text).join(', ')})`, p: P.Predicate };
      case 'between':
        return {
          text: `${wrap(this.expr(e.arg), P.Concat)} ${e.negated ? 'NOT ' : ''}BETWEEN ${wrap(this.expr(e.low), P.Concat)} AND ${wrap(this.expr(e.high), P.Concat)}`,
          p: P.Predicate,
        };
      case 'like':
        return {
          text: `${wrap(this.expr(e.arg), P.Concat)} ${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${wrap(this.expr(e.pattern), P.Concat)}${ESCAPE}`,
          p: P.Predicate,
        };
      case 'case': {
        let text = 'CASE';
        if (e.operand) text += ` ${this.expr(e.operand).text}`;
        for (const w of e.whens) text += ` WHEN ${this.expr(w.when).text} THEN ${this.expr(w.then).text}`;
        if (e.else) text += ` ELSE ${this.expr(e.else).text}`;
        return { text: `${text} END`, p: P.Atom };
      }
      case 'cast':
        return { text: `CAST(${this.expr(e.arg).text} AS ${CAST[e.to]})`, p: P.Atom };
      case 'call':
        return this.call(e);
    }
  }

  /** An operand of + - * or unary minus: unsigned integer columns widen to signed 64 bits. */
  private arithOperand(e: Expr, min: P): string {
    const target = e.kind === 'alias' ? this.aliasExpr(e.name) : e;
    if (target.kind === 'field' && WIDEN.has(target.name)) return `CAST(${quoteIdent(target.name)} AS BIGINT)`;
    return wrap(this.expr(e), min);
  }

  private call(e: Expr & { kind: 'call' }): Sql {
    if (e.fn === 'count' && e.star) return { text: this.rollup ? 'COALESCE(CAST(sum("flows") AS BIGINT), 0)' : 'count(*)', p: P.Atom };
    if (e.fn === 'ip_in') {
      const addr = wrap(this.expr(e.args[0]), P.Concat);
      const ranges = e.args.slice(1).map((c) => {
        if (c.kind !== 'cidr') throw new Error('ip_in needs CIDR blocks');
        return `${addr} BETWEEN ${ipLiteral(c.lo)} AND ${ipLiteral(c.hi)}`;
      });
      return ranges.length === 1 ? { text: ranges[0], p: P.Predicate } : { text: `(${ranges.join(' OR ')})`, p: P.Atom };
    }
    const args = e.args.map((a) => this.expr(a).text);
    const distinct = e.distinct ? 'DISTINCT ' : '';
    if (DIRECT.has(e.fn)) return { text: `${e.fn}(${distinct}${args.join(', ')})`, p: P.Atom };
    if (RENAMED[e.fn]) return { text: `${RENAMED[e.fn]}(${distinct}${args.join(', ')})`, p: P.Atom };
    switch (e.fn) {
      case 'bucket':
        // Integer division keeps the bucket an integer number of seconds (or ms).
        return { text: `(${wrap(this.expr(e.args[0]), P.Mul)} // ${args[1]}) * ${args[1]}`, p: P.Mul };
      case 'to_timestamp':
        return { text: `strftime(make_timestamp(CAST(${args[0]} AS BIGINT) * 1000000), '%Y-%m-%dT%H:%M:%SZ')`, p: P.Atom };
      case 'to_timestamp_ms':
        return { text: `strftime(make_timestamp(CAST(${args[0]} AS BIGINT) * 1000), '%Y-%m-%dT%H:%M:%S.%gZ')`, p: P.Atom };
    }
    throw new Error(`no DuckDB form for function ${e.fn}`);
  }
}

function fieldType(name: FieldName): ValueType {
  const t = fieldByName(name)!.type;
  return t === 'ip' ? 'ip' : t === 'string' || t === 'enum' ? 'text' : 'num';
}

const ALL_SELECT = FIELDS.map((f) => quoteIdent(f.name)).join(', ');
const ALL_COLUMNS: CompiledColumn[] = FIELDS.map((f) => ({ name: f.name, type: fieldType(f.name), field: f.name }));

function whereSql(parts: (Sql | undefined)[]): string {
  const present = parts.filter((x): x is Sql => x !== undefined);
  if (present.length === 0) return '';
  if (present.length === 1) return ` WHERE ${present[0].text}`;
  return ` WHERE ${present.map((s) => wrap(s, P.Not)).join(' AND ')}`;
}

function filterPart(f: FilterNode | undefined): Sql | undefined {
  return f && f.kind !== 'all' ? filterSql(f) : undefined;
}

function limitSql(own: number | undefined, max: number | undefined): string {
  const n = Math.min(own ?? Infinity, max ?? Infinity);
  return Number.isFinite(n) ? ` LIMIT ${Math.max(0, Math.floor(n))}` : '';
}

/** A search's order: newest first, ties broken by the flow's key so pages never overlap. */
const NEWEST_FIRST = '"start" DESC, "first_ms" DESC, "interface_id", "src_addr", "dst_addr", "src_port", "dst_port"';

/** Beyond this many rows a search is an export, better streamed than read page-wise. */
const PAGE_MAX = 10_000;

function pageOf(max: number | undefined): { newestFirst?: number } {
  return max !== undefined && max <= PAGE_MAX ? { newestFirst: Math.max(0, Math.floor(max)) } : {};
}

/** A whole query as one statement over `flows`, with the scope ANDed into its WHERE. */
export function compileQuery(q: Query, opts: CompileOptions = {}): CompiledQuery {
  const scope = filterPart(opts.scope);
  const filter = filterPart(q.filter);
  const sel = q.select;
  if (!sel) {
    const where = whereSql([scope, filter]);
    return { sql: `SELECT ${ALL_SELECT} FROM flows${where} ORDER BY ${NEWEST_FIRST}${limitSql(undefined, opts.maxRows)}`, columns: ALL_COLUMNS, ...pageOf(opts.maxRows) };
  }
  const c = new ExprCompiler(sel, opts.rollup);
  const columns: CompiledColumn[] = [];
  const items = sel.items.map((item) => {
    if (!item.expr) {
      columns.push(...ALL_COLUMNS);
      return '*';
    }
    columns.push({ name: item.name, type: item.type, ...(item.expr.kind === 'field' ? { field: item.expr.name } : {}) });
    return `${c.expr(item.expr).text} AS ${quoteIdent(item.name)}`;
  });
  const own = sel.where ? c.expr(sel.where) : undefined;
  let sql = `SELECT ${sel.distinct ? 'DISTINCT ' : ''}${items.join(', ')} FROM flows`;
  sql += whereSql([scope, filter, own]);
  if (sel.groupBy.length) sql += ` GROUP BY ${sel.groupBy.map((g) => c.expr(g).text).join(', ')}`;
  if (sel.having) sql += ` HAVING ${c.expr(sel.having).text}`;
  if (sel.orderBy.length) {
    const order = sel.orderBy.map((o) => {
      // An alias names a result column here in every dialect; no need to inline it.
      const key = o.expr.kind === 'alias' ? quoteIdent(o.expr.name) : c.expr(o.expr).text;
      return `${key}${o.desc ? ' DESC' : ''}${o.nulls ? ` NULLS ${o.nulls.toUpperCase()}` : ''}`;
    });
    sql += ` ORDER BY ${order.join(', ')}`;
  }
  sql += limitSql(sel.limit, opts.maxRows);
  if (sel.offset !== undefined) sql += ` OFFSET ${sel.offset}`;
  return { sql, columns };
}
