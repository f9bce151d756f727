// The SQL part (after `|`): one SELECT over the filtered flows, parsed by recursive descent
// into the shared tree. Names are not checked here beyond telling fields from other words;
// resolve.ts checks them against the select's aliases, infers types and coerces literals.

import { fieldByName, type FieldName } from '../schema/fields.js';
import type { CastType, CompareOp, Expr, OrderItem, SelectItem, SelectNode } from './ast.js';
import { clip, fail, suggestion } from './errors.js';
import { FUNCTIONS, FUNCTION_NAMES } from './functions.js';
import { MAX_DEPTH } from './limits.js';
import { tokenize, type Token } from './sql-lexer.js';

/** Statements and clauses outside a read-only SELECT over one table. */
const FORBIDDEN = new Set([
  'UNION', 'INTERSECT', 'EXCEPT', 'JOIN', 'WITH', 'RECURSIVE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'UPSERT', 'DROP', 'CREATE',
  'ALTER', 'TRUNCATE', 'PRAGMA', 'COPY', 'ATTACH', 'DETACH', 'INSTALL', 'LOAD', 'SET', 'RESET', 'CALL', 'EXECUTE', 'PREPARE',
  'EXPORT', 'IMPORT', 'GRANT', 'REVOKE', 'VACUUM', 'CHECKPOINT', 'DESCRIBE', 'SHOW', 'SUMMARIZE', 'EXPLAIN', 'INTO', 'VALUES',
  'TABLE', 'OVER', 'WINDOW', 'QUALIFY', 'LATERAL', 'USING', 'PIVOT', 'UNPIVOT', 'BEGIN', 'COMMIT', 'ROLLBACK', 'USE',
]);

/** Words that cannot name a column or alias without quotes. */
const RESERVED = new Set([
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'AS', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL',
  'BETWEEN', 'LIKE', 'ILIKE', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'DISTINCT', 'ASC', 'DESC', 'TRUE', 'FALSE', 'ALL',
  'ON', 'NULLS',
]);

const CAST_TYPES: Record<string, CastType> = {
  INTEGER: 'integer', INT: 'integer', BIGINT: 'integer',
  DOUBLE: 'double', FLOAT: 'double', REAL: 'double', DECIMAL: 'double', NUMERIC: 'double',
  VARCHAR: 'text', TEXT: 'text', STRING: 'text',
  BOOLEAN: 'boolean', BOOL: 'boolean',
};

const COMPARE: Record<string, CompareOp> = { '=': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the query';
  if (t.kind === 'str') return `string '${clip(t.text, 20)}'`;
  return `'${clip(t.kind === 'qident' ? `"${t.text}"` : t.text)}'`;
}

class SqlParser {
  private k = 0;
  private depth = 0;
  private readonly t: Token[];

  constructor(
    private readonly src: string,
    start: number,
  ) {
    this.t = tokenize(src, start);
    for (const tok of this.t) {
      if (tok.kind === 'word' && FORBIDDEN.has(tok.upper)) fail(tok.pos, `'${clip(tok.text)}' is not allowed: the SQL part is one read-only SELECT over flows`);
    }
  }

  private get cur(): Token {
    return this.t[this.k];
  }

  private next(): Token {
    return this.t[this.k++];
  }

  private isWord(w: string, at = 0): boolean {
    const t = this.t[this.k + at];
    return t !== undefined && t.kind === 'word' && t.upper === w;
  }

  private isOp(o: string): boolean {
    return this.cur.kind === 'op' && this.cur.text === o;
  }

  private acceptWord(w: string): boolean {
    if (!this.isWord(w)) return false;
    this.k++;
    return true;
  }

  private acceptOp(o: string): boolean {
    if (!this.isOp(o)) return false;
    this.k++;
    return true;
  }

  private unexpected(expected: string): never {
    return fail(this.cur.pos, `expected ${expected} but found ${describe(this.cur)}`);
  }

  private expectWord(w: string): void {
    if (!this.acceptWord(w)) this.unexpected(w);
  }

  private expectOp(o: string, what = `'${o}'`): void {
    if (!this.acceptOp(o)) this.unexpected(what);
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) fail(pos, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  private leave(): void {
    this.depth--;
  }

  parse(): SelectNode {
    const pos = this.cur.pos;
    if (!this.isWord('SELECT')) {
      if (this.cur.kind === 'end') fail(pos, "expected SELECT after '|'");
      this.unexpected("SELECT after '|'");
    }
    this.k++;
    const distinct = this.acceptWord('DISTINCT');
    if (this.isWord('ALL')) this.k++;
    const items = this.selectList();
    if (this.acceptWord('FROM')) {
      const src = this.next();
      if (!((src.kind === 'word' || src.kind === 'qident') && src.text.toLowerCase() === 'flows')) {
        if (src.kind === 'op' && src.text === '(') fail(src.pos, 'subqueries are not allowed; the SQL part reads the filtered flows');
        fail(src.pos, `only 'flows' can be read (the flow records that match the filter), not ${describe(src)}`);
      }
      if (this.cur.kind === 'word' && !RESERVED.has(this.cur.upper)) fail(this.cur.pos, "table aliases are not supported: name columns without a prefix");
      if (this.isOp(',')) fail(this.cur.pos, "only 'flows' can be read");
    }
    const sel: SelectNode = { distinct, items, groupBy: [], orderBy: [], aggregate: false, pos };
    if (this.acceptWord('WHERE')) sel.where = this.expr();
    if (this.acceptWord('GROUP')) {
      this.expectWord('BY');
      sel.groupBy = this.list(() => this.groupKey());
    }
    if (this.acceptWord('HAVING')) sel.having = this.expr();
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY');
      sel.orderBy = this.list(() => this.orderItem());
    }
    if (this.acceptWord('LIMIT')) sel.limit = this.count('LIMIT');
    if (this.acceptWord('OFFSET')) sel.offset = this.count('OFFSET');
    if (this.cur.kind !== 'end') {
      const c = this.cur;
      fail(c.pos, `unexpected ${describe(c)}${this.clauseHint(c)}`);
    }
    return sel;
  }

  private clauseHint(c: Token): string {
    if (c.kind !== 'word') return '';
    const order = ['WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET'];
    if (order.includes(c.upper)) return ` (clauses go in the order ${order.join(', ')})`;
    if (c.upper === 'FROM') return ' (FROM flows comes right after the select list)';
    return '';
  }

  private list<T>(item: () => T): T[] {
    const out = [item()];
    while (this.acceptOp(',')) out.push(item());
    return out;
  }

  private count(what: string): number {
    const t = this.next();
    if (t.kind !== 'num' || !/^\d+$/.test(t.text)) fail(t.pos, `${what} needs a whole number, not ${describe(t)}`);
    const n = Number(t.text);
    if (!Number.isSafeInteger(n)) fail(t.pos, `${what} ${clip(t.text)} is too large`);
    return n;
  }

  private selectList(): SelectItem[] {
    if (this.cur.kind === 'end' || this.isWord('FROM')) this.unexpected('a column or expression to select');
    return this.list(() => this.selectItem());
  }

  private selectItem(): SelectItem {
    const start = this.cur;
    if (this.acceptOp('*')) return { name: '*', type: 'any', pos: start.pos };
    const expr = this.expr();
    const last = this.t[this.k - 1];
    let alias: string | undefined;
    let aliasPos = this.cur.pos;
    if (this.acceptWord('AS')) {
      aliasPos = this.cur.pos;
      alias = this.aliasName(true);
    } else if (this.cur.kind === 'qident' || (this.cur.kind === 'word' && !RESERVED.has(this.cur.upper))) {
      alias = this.aliasName(false);
    }
    const name = alias ?? (expr.kind === 'field' ? expr.name : this.src.slice(start.pos, last.end));
    return { expr, ...(alias !== undefined ? { alias } : {}), name, type: 'any', pos: alias !== undefined ? aliasPos : start.pos };
  }

  private aliasName(afterAs: boolean): string {
    const t = this.cur;
    if (t.kind === 'qident') {
      this.k++;
      return t.text;
    }
    if (t.kind === 'word' && !RESERVED.has(t.upper)) {
      if (this.t[this.k + 1]?.kind === 'op' && this.t[this.k + 1].text === '(') fail(t.pos, `expected ',' or FROM after the select item, found a call of '${clip(t.text)}'`);
      this.k++;
      return t.text;
    }
    return afterAs ? this.unexpected('a name after AS') : this.unexpected('a name');
  }

  private groupKey(): Expr {
    const t = this.cur;
    if (t.kind === 'num' && /^\d+$/.test(t.text) && !this.startsExpression(1)) {
      this.k++;
      return { kind: 'ordinal', index: Number(t.text), pos: t.pos };
    }
    return this.expr();
  }

  /** True when the token after the next one continues an expression (`1 + x`). */
  private startsExpression(at: number): boolean {
    const t = this.t[this.k + at];
    return t !== undefined && t.kind === 'op' && !['(', ')', ','].includes(t.text);
  }

  private orderItem(): OrderItem {
    const expr = this.groupKey();
    let desc = false;
    if (this.acceptWord('DESC')) desc = true;
    else this.acceptWord('ASC');
    const item: OrderItem = { expr, desc };
    if (this.acceptWord('NULLS')) {
      if (this.acceptWord('FIRST')) item.nulls = 'first';
      else if (this.acceptWord('LAST')) item.nulls = 'last';
      else this.unexpected('FIRST or LAST');
    }
    return item;
  }

  expr(): Expr {
    return this.or();
  }

  private or(): Expr {
    const first = this.and();
    if (!this.isWord('OR')) return first;
    const args = [first];
    while (this.acceptWord('OR')) args.push(this.and());
    return { kind: 'logic', op: 'or', args, pos: first.pos };
  }

  private and(): Expr {
    const first = this.not();
    if (!this.isWord('AND')) return first;
    const args = [first];
    while (this.acceptWord('AND')) args.push(this.not());
    return { kind: 'logic', op: 'and', args, pos: first.pos };
  }

  private not(): Expr {
    const t = this.cur;
    if (this.acceptWord('NOT')) {
      this.enter(t.pos);
      const arg = this.not();
      this.leave();
      return { kind: 'not', arg, pos: t.pos };
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const left = this.concat();
    const t = this.cur;
    if (t.kind === 'op' && COMPARE[t.text]) {
      this.k++;
      return { kind: 'compare', op: COMPARE[t.text], left, right: this.concat(), pos: t.pos };
    }
    if (this.acceptWord('IS')) {
      const negated = this.acceptWord('NOT');
      this.expectWord('NULL');
      return { kind: 'isnull', arg: left, negated, pos: t.pos };
    }
    const negated = this.isWord('NOT') && (this.isWord('IN', 1) || this.isWord('BETWEEN', 1) || this.isWord('LIKE', 1) || this.isWord('ILIKE', 1));
    if (negated) this.k++;
    if (this.acceptWord('IN')) {
      const open = this.cur;
      this.expectOp('(', "'(' after IN");
      if (this.isWord('SELECT')) fail(this.cur.pos, 'subqueries are not allowed; the SQL part reads the filtered flows');
      if (this.isOp(')')) fail(this.cur.pos, 'IN needs at least one value');
      this.enter(open.pos);
      const list = this.list(() => this.expr());
      this.leave();
      this.expectOp(')', "',' or ')' in the IN list");
      return { kind: 'in', arg: left, list, negated, pos: t.pos };
    }
    if (this.acceptWord('BETWEEN')) {
      const low = this.concat();
      this.expectWord('AND');
      const high = this.concat();
      return { kind: 'between', arg: left, low, high, negated, pos: t.pos };
    }
    if (this.isWord('LIKE') || this.isWord('ILIKE')) {
      const caseInsensitive = this.next().upper === 'ILIKE';
      const pattern = this.concat();
      if (this.isWord('ESCAPE')) fail(this.cur.pos, "ESCAPE is not supported: use '\\' to escape % and _");
      return { kind: 'like', arg: left, pattern, negated, caseInsensitive, pos: t.pos };
    }
    return left;
  }

  /** A left-deep chain of binary operators; its length counts as nesting. */
  private chain(ops: readonly string[], operand: () => Expr, make: (op: string, l: Expr, r: Expr, pos: number) => Expr): Expr {
    let left = operand();
    let n = 0;
    while (this.cur.kind === 'op' && ops.includes(this.cur.text)) {
      const t = this.next();
      if (++n + this.depth > MAX_DEPTH) fail(t.pos, `expression nested deeper than ${MAX_DEPTH} levels`);
      left = make(t.text, left, operand(), t.pos);
    }
    return left;
  }

  private concat(): Expr {
    return this.chain(['||'], () => this.additive(), (_op, left, right, pos) => ({ kind: 'concat', left, right, pos }));
  }

  private additive(): Expr {
    return this.chain(['+', '-'], () => this.multiplicative(), (op, left, right, pos) => ({ kind: 'arith', op: op as '+', left, right, pos }));
  }

  private multiplicative(): Expr {
    return this.chain(['*', '/', '%'], () => this.unary(), (op, left, right, pos) => ({ kind: 'arith', op: op as '*', left, right, pos }));
  }

  private unary(): Expr {
    const t = this.cur;
    if (this.isOp('-') || this.isOp('+')) {
      this.k++;
      this.enter(t.pos);
      const arg = this.unary();
      this.leave();
      if (t.text === '+') return arg;
      if (arg.kind === 'num') return { kind: 'num', value: -arg.value, pos: t.pos };
      return { kind: 'neg', arg, pos: t.pos };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'num': {
        const value = Number(t.text);
        if (!Number.isFinite(value)) fail(t.pos, `number ${clip(t.text)} is too large`);
        if (/^\d+$/.test(t.text) && !Number.isSafeInteger(value)) fail(t.pos, `whole number ${clip(t.text)} is too large (max ${Number.MAX_SAFE_INTEGER})`);
        return { kind: 'num', value, pos: t.pos };
      }
      case 'str':
        return { kind: 'str', value: t.text, pos: t.pos };
      case 'qident':
        return this.name(t.text, t.pos, true);
      case 'op':
        if (t.text === '(') {
          if (this.isWord('SELECT')) fail(this.cur.pos, 'subqueries are not allowed; the SQL part reads the filtered flows');
          this.enter(t.pos);
          const inner = this.expr();
          this.leave();
          if (this.isOp(',')) fail(this.cur.pos, 'row values are not supported');
          this.expectOp(')', "')'");
          return inner;
        }
        if (t.text === '*') fail(t.pos, "'*' is only allowed as a select item or in count(*)");
        return fail(t.pos, `unexpected ${describe(t)}`);
      case 'end':
        return fail(t.pos, 'the query ends where an expression was expected');
      case 'word':
        break;
    }
    switch (t.upper) {
      case 'TRUE':
      case 'FALSE':
        return { kind: 'bool', value: t.upper === 'TRUE', pos: t.pos };
      case 'NULL':
        return { kind: 'null', pos: t.pos };
      case 'CASE':
        return this.caseExpr(t);
      case 'CAST':
        return this.cast(t);
      case 'SELECT':
        return fail(t.pos, 'subqueries are not allowed; the SQL part reads the filtered flows');
    }
    if (this.isOp('(')) return this.call(t);
    // `end` is both a field and a keyword; where an expression is expected it is the field.
    if (RESERVED.has(t.upper) && !fieldByName(t.text.toLowerCase())) fail(t.pos, `unexpected '${clip(t.text)}' where an expression was expected`);
    return this.name(t.text, t.pos, false);
  }

  /** A column: a field when it names one, otherwise an alias (checked when resolving). */
  private name(text: string, pos: number, quoted: boolean): Expr {
    const def = fieldByName(text) ?? (quoted ? undefined : fieldByName(text.toLowerCase()));
    if (def) return { kind: 'field', name: def.name as FieldName, pos };
    return { kind: 'alias', name: text, pos };
  }

  private caseExpr(t: Token): Expr {
    this.enter(t.pos);
    const operand = this.isWord('WHEN') ? undefined : this.expr();
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.acceptWord('WHEN')) {
      const when = this.expr();
      this.expectWord('THEN');
      whens.push({ when, then: this.expr() });
    }
    if (whens.length === 0) this.unexpected('WHEN');
    const node: Expr = { kind: 'case', whens, pos: t.pos, ...(operand ? { operand } : {}) };
    if (this.acceptWord('ELSE')) node.else = this.expr();
    this.expectWord('END');
    this.leave();
    return node;
  }

  private cast(t: Token): Expr {
    this.enter(t.pos);
    this.expectOp('(', "'(' after CAST");
    const arg = this.expr();
    this.expectWord('AS');
    const ty = this.next();
    const to = ty.kind === 'word' ? CAST_TYPES[ty.upper] : undefined;
    if (!to) fail(ty.pos, `cannot cast to ${describe(ty)}: use INTEGER, DOUBLE, TEXT or BOOLEAN`);
    this.expectOp(')', "')' after the CAST type");
    this.leave();
    return { kind: 'cast', arg, to, pos: t.pos };
  }

  private call(t: Token): Expr {
    const fn = t.text.toLowerCase();
    const spec = FUNCTIONS.get(fn);
    if (!spec) fail(t.pos, `unknown function '${clip(t.text)}'${suggestion(fn, FUNCTION_NAMES)}`);
    this.enter(t.pos);
    this.k++; // (
    const node: Expr = { kind: 'call', fn, args: [], distinct: false, star: false, pos: t.pos };
    if (this.isOp('*') && this.t[this.k + 1]?.text === ')') {
      if (!spec.star) fail(this.cur.pos, `${fn}(*) is not allowed; only count(*)`);
      this.k++;
      node.star = true;
    } else if (!this.isOp(')')) {
      if (this.isWord('DISTINCT')) {
        if (!spec.distinct) fail(this.cur.pos, `${fn}() does not take DISTINCT`);
        this.k++;
        node.distinct = true;
      }
      node.args = this.list(() => this.expr());
    }
    this.expectOp(')', `',' or ')' in the arguments of ${fn}()`);
    this.leave();
    return node;
  }
}

/** Parses the SQL part of `text`, which starts at `start` (just after the `|`). */
export function parseSelectPart(text: string, start: number): SelectNode {
  return new SqlParser(text, start).parse();
}
