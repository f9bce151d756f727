// The records of one flow log in one aggregation window, being summed. Each distinct
// interface + 5-tuple + direction + action + status is one row of a FlowBatch that becomes the
// window's output as it is; an open-addressing index over typed arrays finds a row from an
// incoming record without building a key object.

import { FIELDS, type FieldDef } from '../schema/fields.js';
import { FlowBatch, widthOf, type StringColumn } from '../schema/batch.js';
import type { Eni } from '../inventory/model.js';

const STRING_FIELDS = FIELDS.filter((f) => f.type === 'string').map((f) => f.name);
const OTHER_FIELDS: readonly FieldDef[] = FIELDS.filter((f) => f.type !== 'string');

const INITIAL_ROWS = 256;

/** Copies every field of one row into another batch (strings re-interned there). */
export function copyRow(src: FlowBatch, srow: number, dst: FlowBatch, drow: number): void {
  const s = src.cols as unknown as Record<string, unknown>;
  const d = dst.cols as unknown as Record<string, unknown>;
  for (let k = 0; k < STRING_FIELDS.length; k++) {
    const name = STRING_FIELDS[k];
    const sc = s[name] as StringColumn;
    const code = sc.codes[srow];
    const dc = d[name] as StringColumn;
    dc.codes[drow] = code === 0 ? 0 : dc.dict.intern(sc.dict.values[code]);
  }
  for (let k = 0; k < OTHER_FIELDS.length; k++) {
    const f = OTHER_FIELDS[k];
    const sa = s[f.name] as Uint32Array;
    const da = d[f.name] as Uint32Array;
    if (widthOf(f) === 4) {
      const so = srow * 4;
      const doff = drow * 4;
      da[doff] = sa[so];
      da[doff + 1] = sa[so + 1];
      da[doff + 2] = sa[so + 2];
      da[doff + 3] = sa[so + 3];
    } else da[drow] = sa[srow];
  }
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

export class WindowState {
  batch: FlowBatch;
  private slots: Int32Array;
  private mask: number;
  /** Interfaces with at least one row (to tell which covered ENIs had no traffic). */
  readonly interfaces = new Set<string>();
  private reported?: Map<string, Eni | undefined>;

  constructor(
    readonly flowLogId: string,
    /** Window bounds, unix seconds. */
    readonly start: number,
    readonly end: number,
    capacity = INITIAL_ROWS,
  ) {
    this.batch = new FlowBatch(capacity);
    this.slots = new Int32Array(capacity * 2).fill(-1);
    this.mask = capacity * 2 - 1;
  }

  get rows(): number {
    return this.batch.length;
  }

  private hashOf(b: FlowBatch, row: number, iface: number): number {
    const c = b.cols;
    const o = row * 4;
    let h = mix(0x811c9dc5, iface);
    const s = c.src_addr;
    const d = c.dst_addr;
    h = mix(h, s[o]);
    h = mix(h, s[o + 1]);
    h = mix(h, s[o + 2]);
    h = mix(h, s[o + 3]);
    h = mix(h, d[o]);
    h = mix(h, d[o + 1]);
    h = mix(h, d[o + 2]);
    h = mix(h, d[o + 3]);
    h = mix(h, (c.src_port[row] << 16) | c.dst_port[row]);
    h = mix(h, c.protocol[row] | (c.direction[row] << 8) | (c.action[row] << 9) | (c.log_status[row] << 10));
    return h >>> 0;
  }

  private same(src: FlowBatch, row: number, at: number, iface: number): boolean {
    const a = src.cols;
    const b = this.batch.cols;
    if (b.interface_id.codes[at] !== iface) return false;
    const o = row * 4;
    const p = at * 4;
    return (
      a.src_port[row] === b.src_port[at] &&
      a.dst_port[row] === b.dst_port[at] &&
      a.protocol[row] === b.protocol[at] &&
      a.direction[row] === b.direction[at] &&
      a.action[row] === b.action[at] &&
      a.log_status[row] === b.log_status[at] &&
      a.src_addr[o] === b.src_addr[p] &&
      a.src_addr[o + 1] === b.src_addr[p + 1] &&
      a.src_addr[o + 2] === b.src_addr[p + 2] &&
      a.src_addr[o + 3] === b.src_addr[p + 3] &&
      a.dst_addr[o] === b.dst_addr[p] &&
      a.dst_addr[o + 1] === b.dst_addr[p + 1] &&
      a.dst_addr[o + 2] === b.dst_addr[p + 2] &&
      a.dst_addr[o + 3] === b.dst_addr[p + 3]
    );
  }

  private grow(): void {
    const old = this.batch;
    const bigger = new FlowBatch(old.capacity * 2);
    bigger.appendRows(old);
    this.batch = bigger;
    const size = bigger.capacity * 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    const iface = bigger.cols.interface_id.codes;
    for (let r = 0; r < bigger.length; r++) {
      let i = this.hashOf(bigger, r, iface[r]) & this.mask;
      while (this.slots[i] >= 0) i = (i + 1) & this.mask;
      this.slots[i] = r;
    }
  }

  /**
   * Adds one record: sums it into the row of the same key, or starts a row. `eni` (when the
   * inventory knows the interface) supplies the VPC, subnet, instance and account.
   * Returns 1 when a row was started, 0 when the record was summed into one.
   */
  add(src: FlowBatch, row: number, eni: Eni | undefined): number {
    const sc = src.cols;
    const ifaceName = sc.interface_id.dict.values[sc.interface_id.codes[row]];
    const iface = this.batch.cols.interface_id.dict.intern(ifaceName);
    let i = this.hashOf(src, row, iface) & this.mask;
    for (;;) {
      const at = this.slots[i];
      if (at < 0) break;
      if (this.same(src, row, at, iface)) {
        const c = this.batch.cols;
        c.packets[at] += sc.packets[row];
        c.bytes[at] += sc.bytes[row];
        c.tcp_flags[at] |= sc.tcp_flags[row];
        const f = sc.first_ms[row];
        if (f > 0 && (c.first_ms[at] === 0 || f < c.first_ms[at])) c.first_ms[at] = f;
        const l = sc.last_ms[row];
        if (l > c.last_ms[at]) c.last_ms[at] = l;
        return 0;
      }
      i = (i + 1) & this.mask;
    }
    if (this.batch.full) {
      this.grow();
      return this.add(src, row, eni);
    }
    const b = this.batch;
    const at = b.addRow();
    copyRow(src, row, b, at);
    this.slots[i] = at;
    this.stamp(at, eni);
    this.interfaces.add(ifaceName);
    return 1;
  }

  /** A source said this interface had no traffic in the window (a probe's NODATA record). */
  noteNoData(interfaceId: string, eni: Eni | undefined): void {
    (this.reported ??= new Map()).set(interfaceId, eni);
  }

  /** NODATA rows for the interfaces reported idle that had no traffic after all; call before the window leaves. */
  finish(version: number): void {
    if (!this.reported) return;
    for (const [iface, eni] of this.reported) if (!this.interfaces.has(iface)) this.addNoData(iface, eni, version);
    this.reported = undefined;
  }

  /** A NODATA record for a covered interface that had no traffic in the window. */
  addNoData(interfaceId: string, eni: Eni | undefined, version: number): void {
    if (this.batch.full) this.grow();
    const b = this.batch;
    const at = b.addRow();
    b.cols.interface_id.codes[at] = b.cols.interface_id.dict.intern(interfaceId);
    b.cols.log_status[at] = 1;
    b.cols.version[at] = version;
    b.cols.sampling_rate[at] = 1;
    this.stamp(at, eni);
    // Not indexed: nothing is ever summed into a NODATA row.
    this.interfaces.add(interfaceId);
  }

  private stamp(at: number, eni: Eni | undefined): void {
    const c = this.batch.cols;
    c.flow_log_id.codes[at] = c.flow_log_id.dict.intern(this.flowLogId);
    c.start[at] = this.start;
    c.end[at] = this.end;
    if (eni) {
      c.vpc_id.codes[at] = c.vpc_id.dict.intern(eni.vpc.id);
      c.subnet_id.codes[at] = c.subnet_id.dict.intern(eni.subnet.id);
      if (eni.instanceId) c.instance_id.codes[at] = c.instance_id.dict.intern(eni.instanceId);
      if (eni.accountId) c.account_id.codes[at] = c.account_id.dict.intern(eni.accountId);
    }
  }
}
