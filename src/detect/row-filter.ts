// A query-language filter evaluated on batch rows, for rules scoped to part of the traffic
// (`vpc_id:vpc-prod`, `dst_addr:10.1.0.0/16 AND NOT dst_port:53`). The tree is compiled once
// into closures; text fields are decided once per dictionary code of each batch, so a row
// test is a few array reads.

import type { FilterNode, FieldTest, FilterValue, GlobPart } from '../query/index.js';
import { enumCode, type FlowBatch, type StringColumn } from '../schema/batch.js';
import { fieldByName, type FieldName } from '../schema/fields.js';

export type RowTest = (row: number) => boolean;
/** Binds a compiled filter to one batch. */
export type BatchFilter = (batch: FlowBatch) => RowTest;

function globRegex(parts: readonly GlobPart[]): RegExp {
  const src = parts.map((p) => ('literal' in p ? p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : 'any' in p ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  return new RegExp(`^${src}$`);
}

function cmpWords(w: Uint32Array, o: number, v: readonly number[]): number {
  for (let k = 0; k < 4; k++) {
    const a = w[o + k];
    const b = v[k];
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function numberOf(v: FilterValue): number {
  return v.kind === 'num' ? v.value : v.kind === 'str' ? Number(v.value) : NaN;
}

function compare(d: number, op: '<' | '<=' | '>' | '>='): boolean {
  return op === '<' ? d < 0 : op === '<=' ? d <= 0 : op === '>' ? d > 0 : d >= 0;
}

function textTest(field: FieldName, t: FieldTest): BatchFilter {
  let match: (s: string) => boolean;
  switch (t.op) {
    case 'eq': {
      const v = t.value.kind === 'str' ? t.value.value : String(numberOf(t.value));
      match = (s) => s === v;
      break;
    }
    case 'glob': {
      const re = globRegex(t.parts);
      match = (s) => re.test(s);
      break;
    }
    case 'cmp': {
      const v = t.value.kind === 'str' ? t.value.value : String(numberOf(t.value));
      match = (s) => compare(s < v ? -1 : s > v ? 1 : 0, t.cmp);
      break;
    }
    case 'range': {
      const lo = t.low ? String(t.low.value.kind === 'str' ? t.low.value.value : numberOf(t.low.value)) : undefined;
      const hi = t.high ? String(t.high.value.kind === 'str' ? t.high.value.value : numberOf(t.high.value)) : undefined;
      match = (s) => (lo === undefined || (t.low!.inclusive ? s >= lo : s > lo)) && (hi === undefined || (t.high!.inclusive ? s <= hi : s < hi));
      break;
    }
    default:
      match = () => false;
  }
  return (b) => {
    const col = b.cols[field] as StringColumn;
    const ok = col.dict.values.map(match);
    const codes = col.codes;
    return (r) => ok[codes[r]];
  };
}

function ipTest(field: FieldName, t: FieldTest): BatchFilter {
  const words = (v: FilterValue) => (v.kind === 'ip' ? v.words : [0, 0, 0, 0]);
  return (b) => {
    const w = b.cols[field] as Uint32Array;
    switch (t.op) {
      case 'eq': {
        const v = words(t.value);
        return (r) => cmpWords(w, r * 4, v) === 0;
      }
      case 'cidr':
        return (r) => cmpWords(w, r * 4, t.lo) >= 0 && cmpWords(w, r * 4, t.hi) <= 0;
      case 'cmp': {
        const v = words(t.value);
        return (r) => compare(cmpWords(w, r * 4, v), t.cmp);
      }
      case 'range':
        return (r) => {
          const o = r * 4;
          if (t.low) {
            const d = cmpWords(w, o, words(t.low.value));
            if (t.low.inclusive ? d < 0 : d <= 0) return false;
          }
          if (t.high) {
            const d = cmpWords(w, o, words(t.high.value));
            if (t.high.inclusive ? d > 0 : d >= 0) return false;
          }
          return true;
        };
      default:
        return () => false;
    }
  };
}

function numTest(field: FieldName, t: FieldTest, enumField: boolean): BatchFilter {
  const num = (v: FilterValue) => (enumField && v.kind === 'str' ? enumCode(field, v.value) : numberOf(v));
  return (b) => {
    const a = b.cols[field] as Float64Array;
    switch (t.op) {
      case 'eq': {
        const v = num(t.value);
        return (r) => a[r] === v;
      }
      case 'cmp': {
        const v = num(t.value);
        return (r) => compare(a[r] - v, t.cmp);
      }
      case 'range': {
        const lo = t.low ? num(t.low.value) : -Infinity;
        const hi = t.high ? num(t.high.value) : Infinity;
        const li = t.low?.inclusive ?? true;
        const hiIn = t.high?.inclusive ?? true;
        return (r) => (li ? a[r] >= lo : a[r] > lo) && (hiIn ? a[r] <= hi : a[r] < hi);
      }
      default:
        return () => false;
    }
  };
}

export function compileRowFilter(node: FilterNode): BatchFilter {
  switch (node.kind) {
    case 'all':
      return () => () => true;
    case 'and': {
      const parts = node.items.map(compileRowFilter);
      return (b) => {
        const tests = parts.map((p) => p(b));
        return (r) => tests.every((t) => t(r));
      };
    }
    case 'or': {
      const parts = node.items.map(compileRowFilter);
      return (b) => {
        const tests = parts.map((p) => p(b));
        return (r) => tests.some((t) => t(r));
      };
    }
    case 'not': {
      const inner = compileRowFilter(node.item);
      return (b) => {
        const t = inner(b);
        return (r) => !t(r);
      };
    }
    case 'test': {
      const def = fieldByName(node.field)!;
      if (def.type === 'string') return textTest(node.field, node.test);
      if (def.type === 'ip') return ipTest(node.field, node.test);
      return numTest(node.field, node.test, def.type === 'enum');
    }
  }
}
