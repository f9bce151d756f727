// The filter part of a query (everything before the first unquoted `|`), in the style of log
// services: `field:value` terms joined by AND / OR / NOT (or `-`, `!`), implicit AND between
// terms, parentheses; values may be quoted, CIDR blocks, wildcards, comparisons (`>1000`),
// ranges (`[1024 TO 65535]`, `{…}` excluding the bound) or groups (`(22 OR 3389)`). A bare
// address or CIDR matches either end of a flow. There is no free-text search: every flow
// field is structured, so a bare word is reported as a mistake rather than guessed at.

import { fieldByName, FIELD_NAMES, type FieldDef, type FieldName } from '../schema/fields.js';
import { parseIp } from '../schema/ip.js';
import type { FieldTest, FilterNode, FilterValue, GlobPart } from './ast.js';
import { clip, fail, nearest } from './errors.js';
import { cidrValue, fieldValue, isNumericField, words } from './field-values.js';
import { MAX_DEPTH } from './limits.js';

/** Characters that end an unquoted value. */
const STOP = new Set(['(', ')', '[', ']', '{', '}', '"', '|']);
const FIELD_PREFIX = /[A-Za-z_][A-Za-z0-9_]*:/y;

interface RawValue {
  /** The value as text, escapes removed, wildcards kept as typed. */
  text: string;
  /** Set when an unescaped `*` or `?` occurred (outside quotes). */
  glob?: GlobPart[];
  pos: number;
}

function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

export interface FilterParse {
  filter: FilterNode;
  /** Offset of the `|` that starts the SQL part, or the text's length. */
  end: number;
}

class FilterParser {
  private i: number;
  private depth = 0;

  constructor(
    private readonly s: string,
    start: number,
  ) {
    this.i = start;
  }

  parse(): FilterParse {
    this.ws();
    if (this.atEnd() || this.s[this.i] === '|') return { filter: { kind: 'all' }, end: this.i };
    const filter = this.or();
    this.ws();
    if (this.s[this.i] === ')') fail(this.i, "unexpected ')' with no '(' before it");
    return { filter, end: this.i };
  }

  private atEnd(): boolean {
    return this.i >= this.s.length;
  }

  private ws(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  /** An operator word (AND, OR, NOT, TO; any case) standing alone at the cursor. */
  private keyword(word: string): boolean {
    const end = this.i + word.length;
    if (this.s.slice(this.i, end).toUpperCase() !== word) return false;
    const next = this.s[end];
    return next === undefined || isSpace(next) || next === '(' || (word === 'NOT' && (next === '-' || next === '!'));
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) fail(pos, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  private or(): FilterNode {
    const items = [this.and()];
    for (;;) {
      this.ws();
      if (!this.keyword('OR')) break;
      this.i += 2;
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private and(): FilterNode {
    const items = [this.unary()];
    for (;;) {
      this.ws();
      const c = this.s[this.i];
      if (c === undefined || c === ')' || c === '|' || this.keyword('OR')) break;
      if (this.keyword('AND')) this.i += 3;
      items.push(this.unary());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private unary(): FilterNode {
    this.ws();
    const at = this.i;
    const c = this.s[this.i];
    let negate = false;
    if (this.keyword('NOT')) {
      this.i += 3;
      negate = true;
    } else if ((c === '-' || c === '!') && this.s[this.i + 1] !== undefined && !isSpace(this.s[this.i + 1])) {
      this.i += 1;
      negate = true;
    }
    if (negate) {
      this.enter(at);
      const item = this.unary();
      this.depth--;
      return { kind: 'not', item };
    }
    return this.primary();
  }

  private primary(): FilterNode {
    this.ws();
    const at = this.i;
    if (this.atEnd()) fail(at, 'expected a filter term (field:value) at the end of the query');
    if (this.s[at] === '(') {
      this.enter(at);
      this.i++;
      this.ws();
      if (this.s[this.i] === ')') fail(at, "empty parentheses '()'");
      const inner = this.or();
      this.ws();
      if (this.s[this.i] !== ')') {
        if (this.atEnd() || this.s[this.i] === '|') fail(at, "'(' is never closed");
        fail(this.i, `expected ')' but found '${this.s[this.i]}'`);
      }
      this.i++;
      this.depth--;
      return inner;
    }
    return this.term();
  }

  private term(): FilterNode {
    const at = this.i;
    const c = this.s[at];
    for (const kw of ['AND', 'OR', 'TO']) if (this.keyword(kw)) fail(at, `'${this.s.slice(at, at + kw.length)}' needs a filter term before it`);
    if (c === '"') fail(at, 'free-text search is not supported: write field:"value" (e.g. interface_id:"eni-123")');
    if (STOP.has(c)) fail(at, c === '|' ? "expected a filter term before '|'" : `unexpected '${c}'`);
    FIELD_PREFIX.lastIndex = at;
    const m = FIELD_PREFIX.exec(this.s);
    if (m) {
      const name = m[0].slice(0, -1);
      const def = fieldByName(name) ?? fieldByName(name.toLowerCase());
      if (def) {
        this.i = at + m[0].length;
        return this.valueSpec(def, at);
      }
    }
    const raw = this.unquoted();
    if (!raw.glob) {
      const bare = bareAddressTest(raw.text);
      if (bare) {
        return {
          kind: 'or',
          items: [
            { kind: 'test', field: 'src_addr', test: bare, pos: at },
            { kind: 'test', field: 'dst_addr', test: bare, pos: at },
          ],
        };
      }
    }
    if (m) {
      const name = m[0].slice(0, -1);
      if (raw.text.includes('::') || ((raw.text.match(/:/g)?.length ?? 0) >= 2 && /^[0-9a-f:./]+$/i.test(raw.text))) fail(at, `'${clip(raw.text)}' is not an IP address or CIDR block`);
      const hint = nearest(name, FIELD_NAMES);
      fail(at, `unknown field '${clip(name)}'${hint ? `, did you mean '${hint}'?` : ''}`);
    }
    const hint = nearest(raw.text, FIELD_NAMES);
    if (hint) fail(at, `'${clip(raw.text)}' is not a filter: write field:value (did you mean '${hint}:…'?)`);
    return fail(at, `'${clip(raw.text)}' is not a filter: write field:value, or an address or CIDR to match either end (free-text search is not supported)`);
  }

  private valueSpec(def: FieldDef, fieldPos: number): FilterNode {
    const at = this.i;
    if (this.atEnd() || isSpace(this.s[at]) || this.s[at] === '|' || this.s[at] === ')') fail(at, `expected a value after '${def.name}:'`);
    if (this.s[at] === '(') return this.valueGroup(def);
    return this.valueAtom(def, fieldPos);
  }

  private valueGroup(def: FieldDef): FilterNode {
    const at = this.i;
    this.enter(at);
    this.i++;
    this.ws();
    if (this.s[this.i] === ')') fail(at, `empty value list after '${def.name}:'`);
    const node = this.valueOr(def);
    this.ws();
    if (this.s[this.i] !== ')') {
      if (this.atEnd() || this.s[this.i] === '|') fail(at, "'(' is never closed");
      fail(this.i, `expected OR, AND or ')' between values (e.g. ${def.name}:(a OR b))`);
    }
    this.i++;
    this.depth--;
    return node;
  }

  private valueOr(def: FieldDef): FilterNode {
    const items = [this.valueAnd(def)];
    for (;;) {
      this.ws();
      if (!this.keyword('OR')) break;
      this.i += 2;
      items.push(this.valueAnd(def));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private valueAnd(def: FieldDef): FilterNode {
    const items = [this.valueUnary(def)];
    for (;;) {
      this.ws();
      if (!this.keyword('AND')) break;
      this.i += 3;
      items.push(this.valueUnary(def));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private valueUnary(def: FieldDef): FilterNode {
    this.ws();
    const at = this.i;
    const c = this.s[at];
    if (this.keyword('NOT') || ((c === '-' || c === '!') && this.s[at + 1] !== undefined && !isSpace(this.s[at + 1]) && !(c === '-' && /\d/.test(this.s[at + 1])))) {
      this.i += c === '-' || c === '!' ? 1 : 3;
      this.enter(at);
      const item = this.valueUnary(def);
      this.depth--;
      return { kind: 'not', item };
    }
    if (this.atEnd() || c === ')' || c === '|') fail(at, `expected a value for '${def.name}'`);
    if (c === '(') return this.valueGroup(def);
    for (const kw of ['AND', 'OR']) if (this.keyword(kw)) fail(at, `'${this.s.slice(at, at + kw.length)}' needs a value before it`);
    return this.valueAtom(def, at);
  }

  private valueAtom(def: FieldDef, termPos: number): FilterNode {
    const at = this.i;
    const c = this.s[at];
    if (c === '[' || c === '{') return { kind: 'test', field: def.name as FieldName, test: this.range(def), pos: termPos };
    const cmp = /^(>=|<=|>|<)/.exec(this.s.slice(at, at + 2));
    if (cmp) {
      this.i += cmp[1].length;
      const raw = this.value(def);
      return { kind: 'test', field: def.name as FieldName, test: { op: 'cmp', cmp: cmp[1] as '<', value: this.ordered(def, raw) }, pos: termPos };
    }
    const raw = this.value(def);
    return { kind: 'test', field: def.name as FieldName, test: this.equality(def, raw), pos: termPos };
  }

  private equality(def: FieldDef, raw: RawValue): FieldTest {
    if (raw.glob) {
      if (def.type !== 'string') fail(raw.pos, `wildcards apply only to text fields; '${def.name}' is ${kindOf(def)}`);
      return { op: 'glob', parts: raw.glob };
    }
    if (def.type === 'ip' && raw.text.includes('/')) {
      const c = cidrValue(raw.text);
      if (!c) fail(raw.pos, `${def.name}: '${clip(raw.text)}' is not a CIDR block`);
      return { op: 'cidr', ...c };
    }
    return { op: 'eq', value: fieldValue(def, raw.text, raw.pos) };
  }

  /** A value that takes part in a comparison or range. */
  private ordered(def: FieldDef, raw: RawValue): FilterValue {
    if (def.type === 'string' || def.type === 'enum') fail(raw.pos, `comparisons and ranges apply to numbers, times and addresses; '${def.name}' is text`);
    if (raw.glob) fail(raw.pos, `wildcards apply only to text fields; '${def.name}' is ${kindOf(def)}`);
    if (def.type === 'ip' && raw.text.includes('/')) fail(raw.pos, `a CIDR block cannot be a bound; write ${def.name}:${clip(raw.text)}`);
    return fieldValue(def, raw.text, raw.pos);
  }

  private range(def: FieldDef): FieldTest {
    const at = this.i;
    const lowInclusive = this.s[at] === '[';
    this.enter(at);
    this.i++;
    this.ws();
    const low = this.bound(def, true);
    this.ws();
    if (!this.keyword('TO')) fail(this.atEnd() ? at : this.i, `expected TO in the range (e.g. ${def.name}:[1024 TO 65535])`);
    this.i += 2;
    this.ws();
    const high = this.bound(def, false);
    this.ws();
    const end = this.s[this.i];
    if (end !== ']' && end !== '}') fail(this.atEnd() ? at : this.i, "expected ']' or '}' to close the range");
    this.i++;
    this.depth--;
    if (!low && !high) fail(at, 'a range needs at least one bound');
    return {
      op: 'range',
      ...(low ? { low: { value: low, inclusive: lowInclusive } } : {}),
      ...(high ? { high: { value: high, inclusive: end === ']' } } : {}),
    };
  }

  /** One bound of a range; undefined for `*` (open). */
  private bound(def: FieldDef, beforeTo: boolean): FilterValue | undefined {
    const at = this.i;
    if (this.atEnd() || this.s[at] === ']' || this.s[at] === '}' || (beforeTo && this.keyword('TO'))) fail(at, 'expected a bound in the range (use * for none)');
    const raw = this.value(def);
    if (raw.text === '*' && raw.glob) return undefined;
    return this.ordered(def, raw);
  }

  private value(def: FieldDef): RawValue {
    const at = this.i;
    if (this.s[at] === '"') return this.quoted();
    const raw = this.unquoted();
    if (raw.text === '' && !raw.glob) fail(at, `expected a value for '${def.name}'`);
    return raw;
  }

  private quoted(): RawValue {
    const at = this.i;
    let text = '';
    this.i++;
    for (;;) {
      if (this.atEnd()) fail(at, 'unterminated quoted value (missing closing ")');
      const c = this.s[this.i++];
      if (c === '"') break;
      if (c === '\\' && this.i < this.s.length) text += this.s[this.i++];
      else text += c;
    }
    return { text, pos: at };
  }

  /** A run of characters up to a space or a special character; `\` escapes the next one. */
  private unquoted(): RawValue {
    const at = this.i;
    let text = '';
    let lit = '';
    const parts: GlobPart[] = [];
    let glob = false;
    while (!this.atEnd()) {
      const c = this.s[this.i];
      if (isSpace(c) || STOP.has(c)) break;
      this.i++;
      if (c === '\\' && this.i < this.s.length) {
        const e = this.s[this.i++];
        text += e;
        lit += e;
      } else if (c === '*' || c === '?') {
        glob = true;
        text += c;
        if (lit) parts.push({ literal: lit });
        lit = '';
        parts.push(c === '*' ? { any: true } : { one: true });
      } else {
        text += c;
        lit += c;
      }
    }
    if (lit) parts.push({ literal: lit });
    return glob ? { text, glob: parts, pos: at } : { text, pos: at };
  }
}

function kindOf(def: FieldDef): string {
  if (def.type === 'ip') return 'an address';
  if (def.type === 'enum') return `one of ${def.values!.join(', ')}`;
  return isNumericField(def) ? 'a number' : 'text';
}

/** A bare address or CIDR block, as a test on one address field. */
function bareAddressTest(text: string): FieldTest | undefined {
  if (text.includes('/')) {
    const c = cidrValue(text);
    return c ? { op: 'cidr', ...c } : undefined;
  }
  const w = parseIp(text);
  return w ? { op: 'eq', value: { kind: 'ip', words: words(w) } } : undefined;
}

/** Parses the filter part of `text` from `start`; stops at the first unquoted top-level `|`. */
export function parseFilterPart(text: string, start = 0): FilterParse {
  return new FilterParser(text, start).parse();
}
