// Checks a parsed SELECT against the flow schema and its own aliases, and makes its meaning
// explicit for the compilers: names resolve to fields or aliases, literals compared with an
// address, enum, time or protocol column become values of that column's type, percentile and
// median become quantile, and aggregates are checked against GROUP BY. Every problem is
// reported at the character that causes it.

import { FIELD_NAMES, fieldByName, type FieldDef } from '../schema/fields.js';
import { parseIp } from '../schema/ip.js';
import { parseDuration } from '../util/time.js';
import type { Expr, FilterValue, SelectItem, SelectNode, ValueType } from './ast.js';
import { clip, fail, suggestion } from './errors.js';
import { cidrValue, fieldValue, words } from './field-values.js';
import { FUNCTIONS, type ArgKind } from './functions.js';
import { MAX_DEPTH, MAX_EXPANDED_NODES } from './limits.js';

type Clause = 'select' | 'where' | 'group' | 'having' | 'order';

const CLAUSE_NAME: Record<Clause, string> = { select: 'the select list', where: 'WHERE', group: 'GROUP BY', having: 'HAVING', order: 'ORDER BY' };

interface Resolved {
  e: Expr;
  t: ValueType;
  /** The field this expression is, directly or through an alias. */
  field?: FieldDef;
  /** Contains an aggregate call. */
  agg: boolean;
}

interface ItemInfo {
  item: SelectItem;
  index: number;
  field?: FieldDef;
  agg: boolean;
  /** Nodes and depth with aliases expanded, as a compiler that inlines them sees it. */
  size: number;
  depth: number;
}

function fieldType(def: FieldDef): ValueType {
  if (def.type === 'ip') return 'ip';
  if (def.type === 'string' || def.type === 'enum') return 'text';
  return 'num';
}

function literal(v: FilterValue, pos: number): Expr {
  if (v.kind === 'ip') return { kind: 'ip', words: v.words, pos };
  return v.kind === 'num' ? { kind: 'num', value: v.value, pos } : { kind: 'str', value: v.value, pos };
}

function show(e: Expr): string {
  if (e.kind === 'field' || e.kind === 'alias') return `'${clip(e.name)}'`;
  if (e.kind === 'call') return `${e.fn}()`;
  return 'the value';
}

const TYPE_WORD: Record<ValueType, string> = { num: 'a number', text: 'text', bool: 'a boolean', ip: 'an address', null: 'null', any: 'a value' };

function fits(kind: ArgKind, t: ValueType): boolean {
  if (t === 'any' || t === 'null') return true;
  switch (kind) {
    case 'any':
      return true;
    case 'value':
      return t !== 'ip';
    default:
      return t === kind;
  }
}

const KIND_WORD: Record<ArgKind, string> = { num: 'a number', text: 'text', ip: 'an address', any: 'a value', value: 'a value that is not an address' };

/** Visits the direct children of an expression. */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'neg':
    case 'not':
    case 'isnull':
    case 'cast':
      return [e.arg];
    case 'arith':
    case 'concat':
    case 'compare':
      return [e.left, e.right];
    case 'logic':
      return e.args;
    case 'in':
      return [e.arg, ...e.list];
    case 'between':
      return [e.arg, e.low, e.high];
    case 'like':
      return [e.arg, e.pattern];
    case 'case':
      return [...(e.operand ? [e.operand] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'call':
      return e.args;
    default:
      return [];
  }
}

class Resolver {
  private readonly aliases = new Map<string, ItemInfo>();
  private readonly infos: ItemInfo[] = [];
  private clause: Clause = 'select';
  private current = 0;
  private inAggregate = false;

  constructor(private readonly sel: SelectNode) {}

  run(): SelectNode {
    const sel = this.sel;
    const items: SelectItem[] = [];
    sel.items.forEach((item, index) => {
      this.current = index;
      if (!item.expr) {
        const info: ItemInfo = { item, index, agg: false, size: 1, depth: 1 };
        this.infos.push(info);
        items.push(item);
        return;
      }
      const r = this.expr(item.expr);
      const out: SelectItem = { ...item, expr: r.e, type: r.t };
      const { size, depth } = this.expansion(r.e);
      const info: ItemInfo = { item: out, index, agg: r.agg, size, depth, ...(r.field ? { field: r.field } : {}) };
      this.infos.push(info);
      items.push(out);
      if (item.alias !== undefined) this.declareAlias(item.alias, item.pos, info, r);
    });
    this.current = items.length;
    const out: SelectNode = { ...sel, items, groupBy: [], orderBy: [] };
    if (sel.where) {
      this.clause = 'where';
      out.where = this.condition(sel.where);
    }
    this.clause = 'group';
    out.groupBy = sel.groupBy.map((g) => this.key(g).e);
    if (sel.having) {
      this.clause = 'having';
      out.having = this.condition(sel.having);
    }
    this.clause = 'order';
    out.orderBy = sel.orderBy.map((o) => ({ ...o, expr: this.key(o.expr).e }));
    const havingAgg = out.having ? this.hasAggregate(out.having) : false;
    out.aggregate = out.groupBy.length > 0 || !!out.having || this.infos.some((i) => i.agg) || havingAgg || out.orderBy.some((o) => this.hasAggregate(o.expr));
    if (out.aggregate) this.checkGrouping(out);
    for (const e of [out.where, out.having, ...out.groupBy, ...out.orderBy.map((o) => o.expr)]) if (e) this.expansion(e);
    return out;
  }

  /** Bounds what alias references expand to, so `a+a AS b, b+b AS c, …` cannot explode. */
  private expansion(e: Expr): { size: number; depth: number } {
    const walk = (x: Expr): { size: number; depth: number } => {
      if (x.kind === 'alias') {
        const info = this.aliases.get(x.name.toLowerCase())!;
        return { size: info.size, depth: info.depth };
      }
      let size = 1;
      let depth = 0;
      for (const c of children(x)) {
        const r = walk(c);
        size += r.size;
        depth = Math.max(depth, r.depth);
      }
      return { size, depth: depth + 1 };
    };
    const r = walk(e);
    if (r.size > MAX_EXPANDED_NODES || r.depth > MAX_DEPTH * 2) fail(e.pos, `the expression is too large once its aliases are expanded (${r.size > MAX_EXPANDED_NODES ? `over ${MAX_EXPANDED_NODES} terms` : `over ${MAX_DEPTH * 2} levels deep`})`);
    return r;
  }

  private declareAlias(alias: string, pos: number, info: ItemInfo, r: Resolved): void {
    const lower = alias.toLowerCase();
    if (this.aliases.has(lower)) fail(pos, `alias '${clip(alias)}' is used twice`);
    const def = fieldByName(lower);
    if (def && !(r.e.kind === 'field' && r.e.name === def.name)) fail(pos, `alias '${clip(alias)}' is the name of a field; choose another name`);
    this.aliases.set(lower, info);
  }

  private condition(e: Expr): Expr {
    const r = this.expr(e);
    if (r.t !== 'bool' && r.t !== 'any' && r.t !== 'null') fail(e.pos, `${CLAUSE_NAME[this.clause]} needs a condition, not ${TYPE_WORD[r.t]}`);
    return r.e;
  }

  /** A GROUP BY or ORDER BY item: an ordinal, or an expression. */
  private key(e: Expr): Resolved {
    if (e.kind === 'ordinal') {
      const n = this.sel.items.length;
      if (this.sel.items.some((i) => !i.expr)) fail(e.pos, `${CLAUSE_NAME[this.clause]} cannot use a position with SELECT *`);
      if (e.index < 1 || e.index > n) fail(e.pos, `${CLAUSE_NAME[this.clause]} ${e.index}: the select list has ${n} item${n === 1 ? '' : 's'}`);
      const info = this.infos[e.index - 1];
      if (this.clause === 'group' && info.agg) fail(e.pos, `GROUP BY ${e.index} refers to an aggregate`);
      return { e, t: info.item.type, agg: info.agg };
    }
    return this.expr(e);
  }

  private hasAggregate(e: Expr): boolean {
    if (e.kind === 'call' && FUNCTIONS.get(e.fn)!.aggregate) return true;
    if (e.kind === 'alias') return this.aliases.get(e.name.toLowerCase())?.agg ?? false;
    if (e.kind === 'ordinal') return this.infos[e.index - 1]?.agg ?? false;
    return children(e).some((c) => this.hasAggregate(c));
  }

  private expr(e: Expr): Resolved {
    switch (e.kind) {
      case 'field': {
        const def = fieldByName(e.name)!;
        return { e, t: fieldType(def), field: def, agg: false };
      }
      case 'alias':
        return this.alias(e);
      case 'num':
        return { e, t: 'num', agg: false };
      case 'str':
        return { e, t: 'text', agg: false };
      case 'bool':
        return { e, t: 'bool', agg: false };
      case 'null':
        return { e, t: 'null', agg: false };
      case 'ip':
      case 'cidr':
        return { e, t: e.kind === 'ip' ? 'ip' : 'any', agg: false };
      case 'ordinal':
        return fail(e.pos, 'a position is only allowed as a whole GROUP BY or ORDER BY item');
      case 'neg': {
        const a = this.operand(e.arg, 'num', "unary '-'");
        return { e: { ...e, arg: a.e }, t: 'num', agg: a.agg };
      }
      case 'not': {
        const a = this.expr(e.arg);
        this.needBool(a, e.arg, 'NOT');
        return { e: { ...e, arg: a.e }, t: 'bool', agg: a.agg };
      }
      case 'arith': {
        const l = this.operand(e.left, 'num', `'${e.op}'`);
        const r = this.operand(e.right, 'num', `'${e.op}'`);
        return { e: { ...e, left: l.e, right: r.e }, t: 'num', agg: l.agg || r.agg };
      }
      case 'concat': {
        const l = this.operand(e.left, 'value', "'||'");
        const r = this.operand(e.right, 'value', "'||'");
        return { e: { ...e, left: l.e, right: r.e }, t: 'text', agg: l.agg || r.agg };
      }
      case 'compare': {
        let l = this.expr(e.left);
        let r = this.expr(e.right);
        r = this.coerce(l, r);
        l = this.coerce(r, l);
        return { e: { ...e, left: l.e, right: r.e }, t: 'bool', agg: l.agg || r.agg };
      }
      case 'logic': {
        const args = e.args.map((a) => {
          const r = this.expr(a);
          this.needBool(r, a, e.op.toUpperCase());
          return r;
        });
        return { e: { ...e, args: args.map((a) => a.e) }, t: 'bool', agg: args.some((a) => a.agg) };
      }
      case 'isnull': {
        const a = this.expr(e.arg);
        return { e: { ...e, arg: a.e }, t: 'bool', agg: a.agg };
      }
      case 'in': {
        const a = this.expr(e.arg);
        const list = e.list.map((x) => this.coerce(a, this.expr(x)));
        return { e: { ...e, arg: a.e, list: list.map((x) => x.e) }, t: 'bool', agg: a.agg || list.some((x) => x.agg) };
      }
      case 'between': {
        const a = this.expr(e.arg);
        const low = this.coerce(a, this.expr(e.low));
        const high = this.coerce(a, this.expr(e.high));
        return { e: { ...e, arg: a.e, low: low.e, high: high.e }, t: 'bool', agg: a.agg || low.agg || high.agg };
      }
      case 'like': {
        const word = e.caseInsensitive ? 'ILIKE' : 'LIKE';
        const a = this.operand(e.arg, 'text', word);
        const p = this.operand(e.pattern, 'text', word);
        return { e: { ...e, arg: a.e, pattern: p.e }, t: 'bool', agg: a.agg || p.agg };
      }
      case 'case':
        return this.caseExpr(e);
      case 'cast': {
        const a = this.expr(e.arg);
        if (a.t === 'ip') fail(e.arg.pos, 'addresses cannot be cast; they are returned as text already');
        const t: ValueType = e.to === 'text' ? 'text' : e.to === 'boolean' ? 'bool' : 'num';
        return { e: { ...e, arg: a.e }, t, agg: a.agg };
      }
      case 'call':
        return this.call(e);
    }
  }

  private needBool(r: Resolved, at: Expr, op: string): void {
    if (r.t !== 'bool' && r.t !== 'any' && r.t !== 'null') fail(at.pos, `${op} needs a condition, not ${TYPE_WORD[r.t]}`);
  }

  private operand(e: Expr, kind: ArgKind, op: string): Resolved {
    const r = this.expr(e);
    if (!fits(kind, r.t)) fail(e.pos, `${op} needs ${KIND_WORD[kind]}; ${show(e)} is ${TYPE_WORD[r.t]}`);
    return r;
  }

  private alias(e: Expr & { kind: 'alias' }): Resolved {
    const info = this.aliases.get(e.name.toLowerCase());
    if (!info || (this.clause === 'select' && info.index >= this.current)) {
      const later = this.sel.items.find((i, k) => k >= this.current && i.alias?.toLowerCase() === e.name.toLowerCase());
      if (later && this.clause === 'select') fail(e.pos, `alias '${clip(e.name)}' is defined later in the select list; refer to earlier aliases only`);
      const known = [...FIELD_NAMES, ...[...this.aliases.values()].map((i) => i.item.alias!)];
      fail(e.pos, `unknown field '${clip(e.name)}'${suggestion(e.name, known)}`);
    }
    if (info.agg && (this.clause === 'where' || this.clause === 'group')) fail(e.pos, `'${e.name}' is an aggregate, which ${CLAUSE_NAME[this.clause]} cannot use${this.clause === 'where' ? ' (use HAVING)' : ''}`);
    if (info.agg && this.inAggregate) fail(e.pos, `'${e.name}' is an aggregate; aggregates cannot be nested`);
    return { e: { kind: 'alias', name: info.item.alias!, pos: e.pos }, t: info.item.type, agg: info.agg, ...(info.field ? { field: info.field } : {}) };
  }

  /** A string literal compared with a typed column becomes a value of that column's type. */
  private coerce(target: Resolved, other: Resolved): Resolved {
    const lit = other.e;
    if (lit.kind !== 'str') return other;
    const def = target.field;
    if (target.t === 'ip' || def?.type === 'ip') {
      const name = def?.name ?? 'address';
      if (lit.value.includes('/')) fail(lit.pos, `'${clip(lit.value)}' is a CIDR block: write ip_in(${def?.name ?? 'addr'}, '${clip(lit.value)}')`);
      const w = parseIp(lit.value);
      if (!w) fail(lit.pos, `${name}: '${clip(lit.value)}' is not an IP address`);
      return { e: { kind: 'ip', words: words(w), pos: lit.pos }, t: 'ip', agg: false };
    }
    if (def && def.type !== 'string') {
      const v = fieldValue(def, lit.value, lit.pos);
      return { e: literal(v, lit.pos), t: v.kind === 'str' ? 'text' : 'num', agg: false };
    }
    return other;
  }

  private caseExpr(e: Expr & { kind: 'case' }): Resolved {
    const operand = e.operand ? this.expr(e.operand) : undefined;
    let agg = operand?.agg ?? false;
    let t: ValueType = 'null';
    const whens = e.whens.map((w) => {
      let when = this.expr(w.when);
      if (operand) when = this.coerce(operand, when);
      else this.needBool(when, w.when, 'WHEN');
      const then = this.expr(w.then);
      agg ||= when.agg || then.agg;
      if (t === 'null') t = then.t;
      return { when: when.e, then: then.e };
    });
    const out: Expr = { ...e, whens, ...(operand ? { operand: operand.e } : {}) };
    if (e.else) {
      const el = this.expr(e.else);
      agg ||= el.agg;
      if (t === 'null') t = el.t;
      out.else = el.e;
    }
    return { e: out, t, agg };
  }

  private call(e: Expr & { kind: 'call' }): Resolved {
    const spec = FUNCTIONS.get(e.fn)!;
    const n = e.args.length;
    if (spec.aggregate) {
      if (this.clause === 'where' || this.clause === 'group') fail(e.pos, `aggregate ${e.fn}() is not allowed in ${CLAUSE_NAME[this.clause]}${this.clause === 'where' ? '; use HAVING' : ''}`);
      if (this.inAggregate) fail(e.pos, `aggregates cannot be nested: ${e.fn}() inside another aggregate`);
    }
    if (e.fn === 'count' && !e.star && n === 0) fail(e.pos, 'count() needs * or an argument');
    if (!e.star && (n < spec.minArgs || n > spec.maxArgs)) {
      const want = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : spec.maxArgs > 8 ? `at least ${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`;
      fail(e.pos, `${e.fn}() takes ${want} argument${want === '1' ? '' : 's'}, got ${n} (${spec.usage})`);
    }
    const outer = this.inAggregate;
    this.inAggregate = outer || spec.aggregate;
    let args: Resolved[];
    try {
      args = e.args.map((a, i) => {
        const r = this.expr(a);
        const kind = spec.args[Math.min(i, spec.args.length - 1)];
        if (!fits(kind, r.t) && !(e.fn === 'ip_in' && i > 0)) fail(a.pos, `${e.fn}() needs ${KIND_WORD[kind]}${n > 1 ? ` as argument ${i + 1}` : ''}; ${show(a)} is ${TYPE_WORD[r.t]}`);
        return r;
      });
    } finally {
      this.inAggregate = outer;
    }
    const agg = spec.aggregate || args.some((a) => a.agg);
    const first = args.find((a) => a.t !== 'null');
    let t: ValueType = spec.result === 'first' ? (first?.t ?? 'null') : spec.result;
    let fn = e.fn;
    let out = args.map((a) => a.e);
    switch (e.fn) {
      case 'quantile':
        out = [out[0], this.fraction(args[1].e, 0, 1, 'quantile', 'q')];
        break;
      case 'percentile': {
        const p = this.fraction(args[1].e, 0, 100, 'percentile', 'p') as Expr & { kind: 'num' };
        fn = 'quantile';
        out = [out[0], { kind: 'num', value: p.value / 100, pos: p.pos }];
        break;
      }
      case 'median':
        fn = 'quantile';
        out = [out[0], { kind: 'num', value: 0.5, pos: e.pos }];
        break;
      case 'round':
        if (out[1] && !(out[1].kind === 'num' && Number.isInteger(out[1].value))) fail(out[1].pos, 'round() takes a whole number of digits');
        break;
      case 'bucket':
        out = [out[0], this.width(args[0], args[1].e)];
        break;
      case 'ip_in':
        out = [out[0], ...e.args.slice(1).map((a) => this.cidr(a))];
        break;
      case 'greatest':
      case 'least':
      case 'coalesce': {
        const typed = args.find((a) => a.t === 'ip' || (a.field && a.field.type !== 'string'));
        if (typed) {
          out = args.map((a) => this.coerce(typed, a).e);
          t = typed.t;
        }
        break;
      }
    }
    return { e: { ...e, fn, args: out }, t, agg };
  }

  private fraction(e: Expr, lo: number, hi: number, fn: string, what: string): Expr {
    if (e.kind !== 'num' || e.value < lo || e.value > hi) fail(e.pos, `${fn}() takes ${what} as a number from ${lo} to ${hi}`);
    return e;
  }

  /** bucket()'s width: seconds, or a duration like '5m'; in milliseconds for *_ms fields. */
  private width(t: Resolved, w: Expr): Expr {
    let seconds: number;
    if (w.kind === 'num') seconds = w.value;
    else if (w.kind === 'str') {
      try {
        seconds = parseDuration(w.value, 'bucket');
      } catch {
        return fail(w.pos, `bucket() width '${clip(w.value)}' is not a duration (e.g. 60, '30s', '5m', '1h', '1d')`);
      }
    } else return fail(w.pos, "bucket() takes its width as a number of seconds or a duration like '5m'");
    const ms = t.field?.type === 'time_ms';
    const width = ms ? Math.round(seconds * 1000) : seconds;
    if (!Number.isSafeInteger(width) || width <= 0) fail(w.pos, `bucket() width must be a whole number of ${ms ? 'milliseconds' : 'seconds'} above 0`);
    return { kind: 'num', value: width, pos: w.pos };
  }

  private cidr(a: Expr): Expr {
    if (a.kind !== 'str') fail(a.pos, "ip_in() takes CIDR blocks as text, e.g. ip_in(src_addr, '10.0.0.0/8')");
    const c = cidrValue(a.value.includes('/') ? a.value : `${a.value}/${a.value.includes(':') ? 128 : 32}`);
    if (!c) fail(a.pos, `'${clip(a.value)}' is not a CIDR block or address`);
    return { kind: 'cidr', ...c, pos: a.pos };
  }

  private readonly canons = new WeakMap<Expr, string>();

  /** Structural identity of an expression, aliases expanded, positions ignored. */
  private canon(e: Expr): string {
    let c = this.canons.get(e);
    if (c === undefined) {
      c = this.canonOf(e);
      this.canons.set(e, c);
    }
    return c;
  }

  private canonOf(e: Expr): string {
    if (e.kind === 'alias') {
      const info = this.aliases.get(e.name.toLowerCase());
      return info?.item.expr ? this.canon(info.item.expr) : `alias:${e.name}`;
    }
    if (e.kind === 'ordinal') {
      const item = this.infos[e.index - 1]?.item.expr;
      return item ? this.canon(item) : `ordinal:${e.index}`;
    }
    const own = ((): string => {
      switch (e.kind) {
        case 'field':
          return `f:${e.name}`;
        case 'num':
          return `n:${e.value}`;
        case 'str':
          return `s:${JSON.stringify(e.value)}`;
        case 'bool':
          return `b:${e.value}`;
        case 'ip':
          return `ip:${e.words.join('.')}`;
        case 'cidr':
          return `cidr:${e.lo.join('.')}-${e.hi.join('.')}`;
        case 'arith':
        case 'compare':
        case 'logic':
          return `${e.kind}${e.op}`;
        case 'isnull':
        case 'in':
        case 'between':
          return `${e.kind}${e.negated}`;
        case 'like':
          return `like${e.negated}${e.caseInsensitive}`;
        case 'case':
          return `case${e.operand ? 1 : 0}${e.else ? 1 : 0}`;
        case 'cast':
          return `cast:${e.to}`;
        case 'call':
          return `call:${e.fn}:${e.distinct}:${e.star}`;
        default:
          return e.kind;
      }
    })();
    return `${own}[${children(e).map((c) => this.canon(c)).join(',')}]`;
  }

  private checkGrouping(sel: SelectNode): void {
    const keys = new Set(sel.groupBy.map((g) => this.canon(g)));
    const check = (e: Expr): void => {
      if (keys.has(this.canon(e))) return;
      switch (e.kind) {
        case 'field':
          return fail(e.pos, `'${e.name}' must be in GROUP BY or inside an aggregate such as any_value(${e.name})`);
        case 'alias': {
          const info = this.aliases.get(e.name.toLowerCase())!;
          if (info.agg) return;
          if (info.item.expr) check(info.item.expr);
          return;
        }
        case 'ordinal':
          return;
        case 'call':
          if (FUNCTIONS.get(e.fn)!.aggregate) return;
          break;
      }
      for (const c of children(e)) check(c);
    };
    for (const item of sel.items) {
      if (!item.expr) fail(item.pos, 'SELECT * cannot be combined with GROUP BY or aggregates');
      check(item.expr);
    }
    if (sel.having) check(sel.having);
    if (!sel.distinct) for (const o of sel.orderBy) check(o.expr);
  }
}

export function resolveSelect(sel: SelectNode): SelectNode {
  return new Resolver(sel).run();
}

