// FlowBatch: the columnar unit every source produces and every consumer reads. One typed
// array per field, strings dictionary-encoded, addresses as four u32 words per row. Nothing on
// the hot path creates an object per record: sources write straight into the arrays.

import { FIELDS, type Field, type FieldDef, type FieldName } from './fields.js';
import { formatIp, formatMac, parseIpInto, parseMac } from './ip.js';

/** Interns strings; code 0 is always the empty string, so zeroed codes read as "". */
export class StringDict {
  values: string[] = [''];
  private index = new Map<string, number>([['', 0]]);

  intern(s: string): number {
    let code = this.index.get(s);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(s);
      this.index.set(s, code);
    }
    return code;
  }

  get size(): number {
    return this.values.length;
  }

  clear(): void {
    this.values = [''];
    this.index.clear();
    this.index.set('', 0);
  }
}

export interface StringColumn {
  codes: Uint32Array;
  dict: StringDict;
}

type ColumnFor<T extends string> = T extends 'u8' | 'enum'
  ? Uint8Array
  : T extends 'u16'
    ? Uint16Array
    : T extends 'u32' | 'time_s' | 'ip'
      ? Uint32Array
      : T extends 'u64' | 'time_ms' | 'mac'
        ? Float64Array
        : T extends 'string'
          ? StringColumn
          : never;

export type FlowColumns = { [F in Field as F['name']]: ColumnFor<F['type']> };

type ValueFor<T extends string> = T extends 'string' | 'enum' | 'ip' ? string : T extends 'mac' ? string | null : number;

/** One record as a plain object: the slow path (tests, JSON APIs, importers of small files). */
export type FlowRecord = { [F in Field as F['name']]: ValueFor<F['type']> };

type TypedCtor = Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor | Float64ArrayConstructor;

function arrayKind(def: FieldDef): { ctor: TypedCtor; width: number } {
  switch (def.type) {
    case 'u8':
    case 'enum':
      return { ctor: Uint8Array, width: 1 };
    case 'u16':
      return { ctor: Uint16Array, width: 1 };
    case 'u32':
    case 'time_s':
    case 'string':
      return { ctor: Uint32Array, width: 1 };
    case 'ip':
      return { ctor: Uint32Array, width: 4 };
    case 'u64':
    case 'time_ms':
    case 'mac':
      return { ctor: Float64Array, width: 1 };
  }
}

function allocColumn(def: FieldDef, capacity: number, shared: boolean, buffer?: ArrayBufferLike): FlowColumns[FieldName] {
  const { ctor, width } = arrayKind(def);
  const n = capacity * width;
  const buf = buffer ?? (shared ? new SharedArrayBuffer(n * ctor.BYTES_PER_ELEMENT) : new ArrayBuffer(n * ctor.BYTES_PER_ELEMENT));
  const arr = new ctor(buf as ArrayBuffer, 0, n);
  return def.type === 'string' ? { codes: arr as Uint32Array, dict: new StringDict() } : arr;
}

/**
 * Builds the columns object as one object literal with every field: an object grown property
 * by property in a loop ends up in V8's dictionary mode, which made every `batch.cols.x` a hash
 * lookup (7× slower writes). The literal is generated from FIELDS once.
 */
const makeColumns = new Function(
  'alloc',
  'fields',
  `return { ${FIELDS.map((f, i) => `${JSON.stringify(f.name)}: alloc(fields[${i}])`).join(', ')} };`,
).bind(null) as unknown as (alloc: (f: FieldDef) => unknown) => FlowColumns;

function columnsFactory(alloc: (f: FieldDef) => unknown): FlowColumns {
  return (makeColumns as unknown as (a: typeof alloc, f: typeof FIELDS) => FlowColumns)(alloc, FIELDS);
}

/** A batch living in shared memory, as posted to another thread (no copy of the columns). */
export interface SharedBatch {
  capacity: number;
  length: number;
  buffers: Record<string, ArrayBufferLike>;
  dicts: Record<string, string[]>;
}

/** Per-row width of a field's array (4 words for addresses, 1 otherwise). */
export function widthOf(def: FieldDef): number {
  return def.type === 'ip' ? 4 : 1;
}

const enumIndex = new Map<string, Map<string, number>>(
  FIELDS.filter((f) => f.type === 'enum').map((f) => [f.name, new Map((f as FieldDef).values!.map((v, i) => [v, i]))]),
);

/** Index of `value` in an enum field's list, or -1. */
export function enumCode(field: FieldName, value: string): number {
  return enumIndex.get(field)?.get(value) ?? -1;
}

export class FlowBatch {
  length = 0;
  readonly capacity: number;
  readonly cols: FlowColumns;

  /**
   * Columns live in SharedArrayBuffers unless `shared` is false: a batch can then be handed to
   * another thread (encoders, decoders) without copying its rows.
   */
  constructor(capacity = 8192, opts: { shared?: boolean; buffers?: Record<string, ArrayBufferLike> } = {}) {
    this.capacity = capacity;
    this.cols = columnsFactory((f) => allocColumn(f, capacity, opts.shared ?? true, opts.buffers?.[f.name]));
  }

  /** True when every column is in shared memory (so it can cross threads as it is). */
  get shared(): boolean {
    return this.cols.start.buffer instanceof SharedArrayBuffer;
  }

  /** Describes a shared-memory batch for postMessage; the receiver rebuilds it with fromShared. */
  toShared(): SharedBatch {
    const buffers: Record<string, ArrayBufferLike> = {};
    const dicts: Record<string, string[]> = {};
    for (const f of FIELDS) {
      const col = this.cols[f.name];
      if (f.type === 'string') {
        buffers[f.name] = (col as StringColumn).codes.buffer;
        dicts[f.name] = (col as StringColumn).dict.values;
      } else buffers[f.name] = (col as Uint8Array).buffer;
    }
    return { capacity: this.capacity, length: this.length, buffers, dicts };
  }

  static fromShared(s: SharedBatch): FlowBatch {
    const b = new FlowBatch(s.capacity, { buffers: s.buffers });
    b.length = s.length;
    for (const [name, values] of Object.entries(s.dicts)) {
      const d = (b.cols[name as FieldName] as StringColumn).dict;
      for (let i = 1; i < values.length; i++) d.intern(values[i]);
    }
    return b;
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  /**
   * Claims the next row, with every field at its default (zero, empty string, first enum
   * value), and returns its index; the caller must check `full` first.
   */
  addRow(): number {
    return this.length++;
  }

  /** Empties the batch for reuse, zeroing only the rows that were written. */
  reset(): void {
    const n = this.length;
    for (const f of FIELDS) {
      const col = this.cols[f.name] as Uint8Array | StringColumn;
      if ('codes' in col) {
        col.codes.fill(0, 0, n);
        col.dict.clear();
      } else {
        col.fill(0, 0, n * widthOf(f));
      }
    }
    this.length = 0;
  }

  // Slow-path accessors by field name, for code that is not per-packet.

  getString(field: FieldName, row: number): string {
    const col = this.cols[field] as StringColumn;
    return col.dict.values[col.codes[row]];
  }

  setString(field: FieldName, row: number, value: string): void {
    const col = this.cols[field] as StringColumn;
    col.codes[row] = col.dict.intern(value);
  }

  getIp(field: FieldName, row: number): string {
    return formatIp(this.cols[field] as Uint32Array, row * 4);
  }

  setIp(field: FieldName, row: number, text: string): boolean {
    return parseIpInto(text, this.cols[field] as Uint32Array, row * 4);
  }

  /** Reads one row as a plain object with text addresses and enum names. */
  get(row: number): FlowRecord {
    const out: Record<string, unknown> = {};
    for (const f of FIELDS) out[f.name] = this.value(f, row);
    return out as FlowRecord;
  }

  value(f: FieldDef, row: number): string | number | null {
    const col = this.cols[f.name as FieldName];
    switch (f.type) {
      case 'string': {
        const c = col as StringColumn;
        return c.dict.values[c.codes[row]];
      }
      case 'enum':
        return f.values![(col as Uint8Array)[row]] ?? f.values![0];
      case 'ip':
        return formatIp(col as Uint32Array, row * 4);
      case 'mac': {
        const v = (col as Float64Array)[row];
        return v === 0 ? null : formatMac(v);
      }
      default:
        return (col as Uint8Array)[row];
    }
  }

  /**
   * Appends a record given as a plain object (missing fields keep their defaults). Returns
   * the row, or throws naming the field whose value is not valid.
   */
  push(rec: Partial<Record<FieldName, string | number | null>>): number {
    if (this.full) throw new Error('FlowBatch is full');
    const row = this.addRow();
    for (const f of FIELDS) {
      const v = rec[f.name];
      if (v === undefined || v === null) continue;
      const col = this.cols[f.name];
      switch (f.type) {
        case 'string':
          (col as StringColumn).codes[row] = (col as StringColumn).dict.intern(String(v));
          break;
        case 'enum': {
          const code = enumCode(f.name, String(v));
          if (code < 0) throw new Error(`${f.name}: '${v}' is not one of ${(f as FieldDef).values!.join(', ')}`);
          (col as Uint8Array)[row] = code;
          break;
        }
        case 'ip':
          if (!parseIpInto(String(v), col as Uint32Array, row * 4)) throw new Error(`${f.name}: '${v}' is not an IP address`);
          break;
        case 'mac': {
          const m = typeof v === 'number' ? v : parseMac(String(v));
          if (m === undefined) throw new Error(`${f.name}: '${v}' is not a MAC address`);
          (col as Float64Array)[row] = m;
          break;
        }
        default: {
          const n = Number(v);
          if (!Number.isFinite(n) || n < 0) throw new Error(`${f.name}: '${v}' is not a non-negative number`);
          (col as Float64Array)[row] = n;
        }
      }
    }
    return row;
  }

  /** Copies rows [from, to) of `src` onto the end of this batch, re-coding strings. */
  appendRows(src: FlowBatch, from = 0, to = src.length): void {
    const n = to - from;
    if (this.length + n > this.capacity) throw new Error('FlowBatch overflow');
    const at = this.length;
    for (const f of FIELDS) {
      const s = src.cols[f.name];
      const d = this.cols[f.name];
      if (f.type === 'string') {
        const sc = s as StringColumn;
        const dc = d as StringColumn;
        const remap = new Int32Array(sc.dict.size).fill(-1);
        for (let i = 0; i < n; i++) {
          const code = sc.codes[from + i];
          let m = remap[code];
          if (m < 0) m = remap[code] = dc.dict.intern(sc.dict.values[code]);
          dc.codes[at + i] = m;
        }
      } else {
        const w = widthOf(f);
        (d as Uint8Array).set((s as Uint8Array).subarray(from * w, to * w), at * w);
      }
    }
    this.length += n;
  }

  /** A new batch holding the rows for which `keep` is true (slow path: filters, tests). */
  filter(keep: (row: number) => boolean): FlowBatch {
    const out = new FlowBatch(Math.max(1, this.length));
    for (let i = 0; i < this.length; i++) if (keep(i)) out.appendRows(this, i, i + 1);
    return out;
  }

  static fromRecords(recs: readonly Partial<Record<FieldName, string | number | null>>[]): FlowBatch {
    const b = new FlowBatch(Math.max(1, recs.length));
    for (const r of recs) b.push(r);
    return b;
  }

  *rows(): IterableIterator<FlowRecord> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}
