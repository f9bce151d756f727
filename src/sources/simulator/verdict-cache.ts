// Policy verdicts of connections, remembered by traffic class. Everyday traffic repeats the
// same few kinds of connection millions of times; the policy engine's verdict depends only on
// the interfaces involved and on the classes of the addresses and ports (see TrafficClasses),
// so each kind is evaluated once and then looked up.

import type { Eni } from '../../inventory/model.js';
import type { PolicyEngine } from '../../policy/engine.js';
import type { TrafficClasses } from '../../policy/traffic-classes.js';

const NONE = -1;
/** Entries kept before the cache starts over (it only holds kinds of traffic, so this is rarely reached). */
const MAX_ENTRIES = 1 << 20;

export class VerdictCache {
  /** Results of the last lookup: decision codes (-1: that end is outside the inventory or was not reached). */
  reqAccepted = false;
  repAccepted = false;
  reqSender = NONE;
  reqReceiver = NONE;
  repSender = NONE;
  repReceiver = NONE;

  private readonly map = new Map<number, number>();
  private codes = new Int32Array(4 * 1024);
  private flags = new Uint8Array(1024);
  private size = 0;
  private readonly enabled: boolean;
  private readonly e1: number;
  private readonly a: number;
  private readonly p: number;

  constructor(
    private readonly engine: PolicyEngine,
    readonly classes: TrafficClasses,
    eniCount: number,
  ) {
    this.e1 = eniCount + 1;
    this.a = classes.addressClasses;
    this.p = classes.portClasses;
    // The key must stay an exact integer; inventories too large for that are evaluated every time.
    this.enabled = this.e1 * this.e1 * this.a * this.a * 256 * this.p * this.p < Number.MAX_SAFE_INTEGER;
  }

  lookup(srcEni: Eni | null, src: Uint32Array, srcClass: number, dstEni: Eni | null, dst: Uint32Array, dstClass: number, protocol: number, srcPort: number, dstPort: number): void {
    let key = -1;
    if (this.enabled) {
      const c = this.classes;
      key =
        ((((((srcEni === null ? 0 : srcEni.index + 1) * this.e1 + (dstEni === null ? 0 : dstEni.index + 1)) * this.a + srcClass) * this.a + dstClass) * 256 + protocol) * this.p +
          c.portClassOf(protocol, srcPort, true)) *
          this.p +
        c.portClassOf(protocol, dstPort, false);
      const at = this.map.get(key);
      if (at !== undefined) {
        this.load(at);
        return;
      }
    }
    const v = this.engine.connection(srcEni, src, 0, dstEni, dst, 0, protocol, srcPort, dstPort);
    if (this.size === MAX_ENTRIES) {
      this.map.clear();
      this.size = 0;
    }
    if (this.size === this.flags.length) this.grow();
    // Without a key nothing is remembered: slot 0 just carries the result.
    const at = key >= 0 ? this.size++ : 0;
    const o = at * 4;
    this.codes[o] = v.request.atSender?.code ?? NONE;
    this.codes[o + 1] = v.request.atReceiver?.code ?? NONE;
    this.codes[o + 2] = v.reply.atSender?.code ?? NONE;
    this.codes[o + 3] = v.reply.atReceiver?.code ?? NONE;
    this.flags[at] = (v.request.accepted ? 1 : 0) | (v.reply.accepted ? 2 : 0);
    if (key >= 0) this.map.set(key, at);
    this.load(at);
  }

  private load(at: number): void {
    const o = at * 4;
    const f = this.flags[at];
    this.reqAccepted = (f & 1) !== 0;
    this.repAccepted = (f & 2) !== 0;
    this.reqSender = this.codes[o];
    this.reqReceiver = this.codes[o + 1];
    this.repSender = this.codes[o + 2];
    this.repReceiver = this.codes[o + 3];
  }

  private grow(): void {
    const codes = new Int32Array(this.codes.length * 2);
    codes.set(this.codes);
    this.codes = codes;
    const flags = new Uint8Array(this.flags.length * 2);
    flags.set(this.flags);
    this.flags = flags;
  }
}
