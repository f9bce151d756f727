// A sink's optional filter (the query language's filter part) evaluated on batch rows, with
// the same meaning the stores give it in SQL: exact values, comparisons and ranges, CIDRs,
// wildcards; enums compare by name, addresses as 128-bit numbers.

import type { FlowBatch, StringColumn } from '../schema/batch.js';
import { fieldByName, type FieldDef } from '../schema/fields.js';
import type { FieldTest, FilterNode, FilterValue, GlobPart, IpWords } from '../query/index.js';

export type RowPredicate = (b: FlowBatch, r: number) => boolean;

function cmpIp(w: Uint32Array, o: number, v: IpWords): number {
  for (let k = 0; k < 4; k++) if (w[o + k] !== v[k]) return w[o + k] < v[k] ? -1 : 1;
  return 0;
}

function globRegex(parts: readonly GlobPart[]): RegExp {
  let re = '^';
  for (const p of parts) {
    if ('literal' in p) re += p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else re += 'any' in p ? '[\\s\\S]*' : '[\\s\\S]';
  }
  return new RegExp(re + '$');
}

/** -1, 0 or 1 comparing the row's value with a literal; NaN when they cannot be compared. */
function comparer(f: FieldDef): (b: FlowBatch, r: number, v: FilterValue) => number {
  const name = f.name as keyof FlowBatch['cols'];
  switch (f.type) {
    case 'ip':
      return (b, r, v) => (v.kind === 'ip' ? cmpIp(b.cols[name] as Uint32Array, r * 4, v.words) : NaN);
    case 'string':
      return (b, r, v) => {
        const c = b.cols[name] as StringColumn;
        const s = c.dict.values[c.codes[r]];
        const t = v.kind === 'num' ? String(v.value) : v.kind === 'str' ? v.value : '';
        return s === t ? 0 : s < t ? -1 : 1;
      };
    case 'enum':
      return (b, r, v) => {
        const s = f.values![(b.cols[name] as Uint8Array)[r]] ?? f.values![0];
        const t = v.kind === 'str' ? v.value : String(v.kind === 'num' ? v.value : '');
        return s === t ? 0 : s < t ? -1 : 1;
      };
    default:
      return (b, r, v) => {
        if (v.kind !== 'num') return NaN;
        const x = (b.cols[name] as Float64Array)[r];
        return x === v.value ? 0 : x < v.value ? -1 : 1;
      };
  }
}

function textOf(f: FieldDef): (b: FlowBatch, r: number) => string {
  const name = f.name as keyof FlowBatch['cols'];
  if (f.type === 'string')
    return (b, r) => {
      const c = b.cols[name] as StringColumn;
      return c.dict.values[c.codes[r]];
    };
  if (f.type === 'enum') return (b, r) => f.values![(b.cols[name] as Uint8Array)[r]] ?? '';
  return (b, r) => String(b.value(f, r) ?? '');
}

function testFn(f: FieldDef, t: FieldTest): RowPredicate {
  const cmp = comparer(f);
  switch (t.op) {
    case 'eq':
      return (b, r) => cmp(b, r, t.value) === 0;
    case 'cmp': {
      const v = t.value;
      switch (t.cmp) {
        case '<':
          return (b, r) => cmp(b, r, v) < 0;
        case '<=':
          return (b, r) => cmp(b, r, v) <= 0;
        case '>':
          return (b, r) => cmp(b, r, v) > 0;
        case '>=':
          return (b, r) => cmp(b, r, v) >= 0;
      }
      break;
    }
    case 'range': {
      const { low, high } = t;
      return (b, r) => {
        if (low) {
          const c = cmp(b, r, low.value);
          if (!(low.inclusive ? c >= 0 : c > 0)) return false;
        }
        if (high) {
          const c = cmp(b, r, high.value);
          if (!(high.inclusive ? c <= 0 : c < 0)) return false;
        }
        return true;
      };
    }
    case 'cidr': {
      const name = f.name as keyof FlowBatch['cols'];
      return (b, r) => {
        const w = b.cols[name] as Uint32Array;
        return cmpIp(w, r * 4, t.lo) >= 0 && cmpIp(w, r * 4, t.hi) <= 0;
      };
    }
    case 'glob': {
      const re = globRegex(t.parts);
      const text = textOf(f);
      return (b, r) => re.test(text(b, r));
    }
  }
  return () => false;
}

/** Compiles a parsed filter; undefined for the empty filter (every row). */
export function compileRowFilter(node: FilterNode): RowPredicate | undefined {
  switch (node.kind) {
    case 'all':
      return undefined;
    case 'test': {
      const f = fieldByName(node.field);
      if (!f) throw new Error(`unknown field ${node.field}`);
      return testFn(f, node.test);
    }
    case 'not': {
      const inner = compileRowFilter(node.item);
      return inner ? (b, r) => !inner(b, r) : () => false;
    }
    case 'and': {
      const items = node.items.map(compileRowFilter).filter((x): x is RowPredicate => x !== undefined);
      if (items.length === 0) return undefined;
      return (b, r) => {
        for (const p of items) if (!p(b, r)) return false;
        return true;
      };
    }
    case 'or': {
      const items = node.items.map(compileRowFilter);
      if (items.some((x) => x === undefined)) return undefined;
      return (b, r) => {
        for (const p of items as RowPredicate[]) if (p(b, r)) return true;
        return false;
      };
    }
  }
}
