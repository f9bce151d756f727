// Copies staged records into the sink's FlowBatches, interface by interface, as a cloud flow
// log writes them. Dictionary codes of the interface's strings and of rule ids are cached per
// batch, so a row costs typed-array stores and no string interning.

import type { FlowBatch } from '../../schema/batch.js';
import type { BatchSink } from '../source.js';
import type { Eni } from '../../inventory/model.js';
import type { Decision } from '../../policy/decision.js';
import { F_BYTES, F_DST_MAC, F_PACKETS, F_SRC_MAC, SLOT_WORDS, W_DECISION, W_DIR_PROTO_FLAGS, W_DST, W_DST_PORT, W_ENI, W_FIRST, W_LAST, W_SRC, W_SRC_PORT, type RecordStage } from './record-stage.js';

/** Custom-format version whose fields (vpc/subnet/instance ids, tcp flags, flow direction) the records fill. */
const RECORD_VERSION = 5;
const ENI_STRINGS = 5;

export class BatchWriter {
  /** Per ENI × [account, interface, vpc, subnet, instance]: dictionary code in the current batch, -1 if not yet interned. */
  private readonly eniCodes: Int32Array;
  private readonly ruleCodes: Int32Array;
  private readonly eniStrings: string[];
  /** Per decision code: 0 ACCEPT, 1 REJECT (the action enum). */
  private readonly actionOf: Uint8Array;
  private chunks = new Int32Array(0);
  private batch: FlowBatch | null = null;
  private batchLength = -1;

  constructor(
    enis: readonly Eni[],
    private readonly decisions: readonly Decision[],
  ) {
    this.eniCodes = new Int32Array(enis.length * ENI_STRINGS);
    this.ruleCodes = new Int32Array(decisions.length);
    this.eniStrings = enis.flatMap((e) => [e.accountId, e.id, e.vpc.id, e.subnet.id, e.instanceId]);
    this.actionOf = Uint8Array.from(decisions, (d) => (d.accept ? 0 : 1));
  }

  /** Writes the staged records, interface by interface, and returns how many were written. */
  write(stage: RecordStage, start: number, end: number, sink: BatchSink): number {
    if (this.chunks.length < stage.chunkListCapacity()) this.chunks = new Int32Array(stage.chunkListCapacity());
    const chunks = this.chunks;
    const nChunks = stage.chunkList(chunks);
    for (let ci = 0; ci < nChunks; ci++) {
      let from = chunks[ci * 2];
      const to = from + chunks[ci * 2 + 1];
      while (from < to) {
        const b = sink.room();
        // A new batch, or one emptied or written to by someone else: codes must be interned again.
        if (b !== this.batch || b.length !== this.batchLength) this.bind(b);
        const n = Math.min(to - from, b.capacity - b.length);
        this.rows(stage, from, n, b, start, end);
        from += n;
        this.batchLength = b.length;
      }
    }
    return stage.length;
  }

  /** Writes `n` records from slot `from` on (all of one interface) at the end of `b`, which has room for them. */
  private rows(stage: RecordStage, from: number, n: number, b: FlowBatch, start: number, end: number): void {
    const u = stage.u32;
    const f = stage.f64;
    const c = b.cols;
    // Columns in locals: the column object has one property per field, too slow to look up per row.
    const cVersion = c.version;
    const cSrc = c.src_addr;
    const cDst = c.dst_addr;
    const cSport = c.src_port;
    const cDport = c.dst_port;
    const cProto = c.protocol;
    const cPackets = c.packets;
    const cBytes = c.bytes;
    const cStart = c.start;
    const cEnd = c.end;
    const cFirst = c.first_ms;
    const cLast = c.last_ms;
    const cAction = c.action;
    const cStatus = c.log_status;
    const cFlags = c.tcp_flags;
    const cDir = c.direction;
    const cRule = c.rule_id.codes;
    const cSampling = c.sampling_rate;
    const cSrcMac = c.src_mac;
    const cDstMac = c.dst_mac;
    const ruleCodes = this.ruleCodes;
    const actionOf = this.actionOf;
    const eni = u[from * SLOT_WORDS + W_ENI];
    const row0 = b.length;
    c.account_id.codes.fill(this.code(b, eni, 0), row0, row0 + n);
    c.interface_id.codes.fill(this.code(b, eni, 1), row0, row0 + n);
    c.vpc_id.codes.fill(this.code(b, eni, 2), row0, row0 + n);
    c.subnet_id.codes.fill(this.code(b, eni, 3), row0, row0 + n);
    c.instance_id.codes.fill(this.code(b, eni, 4), row0, row0 + n);
    for (let k = 0; k < n; k++) {
      const row = row0 + k;
      const o = (from + k) * SLOT_WORDS;
      const h = o >> 1;
      cVersion[row] = RECORD_VERSION;
      const r4 = row * 4;
      cSrc[r4] = u[o + W_SRC];
      cSrc[r4 + 1] = u[o + W_SRC + 1];
      cSrc[r4 + 2] = u[o + W_SRC + 2];
      cSrc[r4 + 3] = u[o + W_SRC + 3];
      cDst[r4] = u[o + W_DST];
      cDst[r4 + 1] = u[o + W_DST + 1];
      cDst[r4 + 2] = u[o + W_DST + 2];
      cDst[r4 + 3] = u[o + W_DST + 3];
      cSport[row] = u[o + W_SRC_PORT];
      cDport[row] = u[o + W_DST_PORT];
      const dpf = u[o + W_DIR_PROTO_FLAGS];
      cDir[row] = dpf & 255;
      cProto[row] = (dpf >>> 8) & 255;
      cFlags[row] = dpf >>> 16;
      cPackets[row] = f[h + F_PACKETS];
      cBytes[row] = f[h + F_BYTES];
      cStart[row] = start;
      cEnd[row] = end;
      cFirst[row] = u[o + W_FIRST] * 1000;
      cLast[row] = u[o + W_LAST] * 1000;
      const d = u[o + W_DECISION];
      cAction[row] = actionOf[d];
      cStatus[row] = 0;
      let rc = ruleCodes[d];
      if (rc < 0) rc = ruleCodes[d] = c.rule_id.dict.intern(this.decisions[d].ruleId);
      cRule[row] = rc;
      cSampling[row] = 1;
      cSrcMac[row] = f[h + F_SRC_MAC];
      cDstMac[row] = f[h + F_DST_MAC];
    }
    b.length = row0 + n;
  }

  private bind(b: FlowBatch): void {
    this.batch = b;
    this.eniCodes.fill(-1);
    this.ruleCodes.fill(-1);
  }

  private code(b: FlowBatch, eni: number, which: number): number {
    const at = eni * ENI_STRINGS + which;
    let v = this.eniCodes[at];
    if (v < 0) {
      const c = b.cols;
      const col = which === 0 ? c.account_id : which === 1 ? c.interface_id : which === 2 ? c.vpc_id : which === 3 ? c.subnet_id : c.instance_id;
      v = this.eniCodes[at] = col.dict.intern(this.eniStrings[at]);
    }
    return v;
  }
}
