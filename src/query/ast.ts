// The syntax tree of a query, shared by every store's compiler. It holds meaning, not SQL
// text: values are already typed (addresses as words, enum values in their canonical case,
// times in seconds), so a compiler only chooses how its dialect spells each node.

import type { FieldName } from '../schema/fields.js';

/** Offset of a node's first character in the query text (0-based). */
export type Pos = number;

/** Four 32-bit words, most significant first (IPv4 as IPv4-mapped), as in FlowBatch. */
export type IpWords = readonly [number, number, number, number];

export type FilterValue = { kind: 'num'; value: number } | { kind: 'str'; value: string } | { kind: 'ip'; words: IpWords };

/** A segment of a wildcard pattern: literal text, `*` (any run) or `?` (one character). */
export type GlobPart = { literal: string } | { any: true } | { one: true };

export interface Bound {
  value: FilterValue;
  inclusive: boolean;
}

export type FieldTest =
  | { op: 'eq'; value: FilterValue }
  | { op: 'cmp'; cmp: '<' | '<=' | '>' | '>='; value: FilterValue }
  /** Either bound may be open (`*`). */
  | { op: 'range'; low?: Bound; high?: Bound }
  | { op: 'cidr'; lo: IpWords; hi: IpWords; /** prefix length on the 128-bit form */ bits: number }
  | { op: 'glob'; parts: GlobPart[] };

export type FilterNode =
  /** The empty query: every flow. */
  | { kind: 'all' }
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'test'; field: FieldName; test: FieldTest; pos: Pos };

/** Static type of an expression, as far as the checks need it. */
export type ValueType = 'num' | 'text' | 'bool' | 'ip' | 'null' | 'any';

export type CastType = 'integer' | 'double' | 'text' | 'boolean';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

export type Expr =
  | { kind: 'field'; name: FieldName; pos: Pos }
  /** A reference to a select item's alias (resolved: `name` is the alias as declared). */
  | { kind: 'alias'; name: string; pos: Pos }
  | { kind: 'num'; value: number; pos: Pos }
  | { kind: 'str'; value: string; pos: Pos }
  | { kind: 'bool'; value: boolean; pos: Pos }
  | { kind: 'null'; pos: Pos }
  /** An address literal: a string compared with an address column. */
  | { kind: 'ip'; words: IpWords; pos: Pos }
  /** A CIDR block, only as an argument of ip_in. */
  | { kind: 'cidr'; lo: IpWords; hi: IpWords; bits: number; pos: Pos }
  | { kind: 'neg'; arg: Expr; pos: Pos }
  | { kind: 'not'; arg: Expr; pos: Pos }
  | { kind: 'arith'; op: ArithOp; left: Expr; right: Expr; pos: Pos }
  | { kind: 'concat'; left: Expr; right: Expr; pos: Pos }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr; pos: Pos }
  | { kind: 'logic'; op: 'and' | 'or'; args: Expr[]; pos: Pos }
  | { kind: 'isnull'; arg: Expr; negated: boolean; pos: Pos }
  | { kind: 'in'; arg: Expr; list: Expr[]; negated: boolean; pos: Pos }
  | { kind: 'between'; arg: Expr; low: Expr; high: Expr; negated: boolean; pos: Pos }
  /** SQL LIKE: `%` and `_` in the pattern are wildcards, as the user wrote them. */
  | { kind: 'like'; arg: Expr; pattern: Expr; negated: boolean; caseInsensitive: boolean; pos: Pos }
  | { kind: 'case'; operand?: Expr; whens: { when: Expr; then: Expr }[]; else?: Expr; pos: Pos }
  | { kind: 'cast'; arg: Expr; to: CastType; pos: Pos }
  /** `fn` is a name from FUNCTIONS; `star` is count(*). */
  | { kind: 'call'; fn: string; args: Expr[]; distinct: boolean; star: boolean; pos: Pos }
  /** A select item by its 1-based position (GROUP BY 1, ORDER BY 2). */
  | { kind: 'ordinal'; index: number; pos: Pos };

export interface SelectItem {
  /** Undefined for `*`. */
  expr?: Expr;
  /** The alias the user gave, if any. */
  alias?: string;
  /** The result column's name: the alias, the field name, or the expression as typed. */
  name: string;
  type: ValueType;
  pos: Pos;
}

export interface OrderItem {
  expr: Expr;
  desc: boolean;
  nulls?: 'first' | 'last';
}

export interface SelectNode {
  distinct: boolean;
  items: SelectItem[];
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  orderBy: OrderItem[];
  limit?: number;
  offset?: number;
  /** Aggregates or GROUP BY present: one row per group. */
  aggregate: boolean;
  pos: Pos;
}

export interface Query {
  text: string;
  filter: FilterNode;
  /** The part after `|`, when there is one. */
  select?: SelectNode;
}
