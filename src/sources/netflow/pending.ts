// Data sets that arrived before their template. Exporters send templates only every so often, and
// a collector that starts (or restarts) mid-stream sees data first: the sets wait here, copied, and
// are decoded when the template shows up. Bounded in count and bytes; the oldest go first.

import type { MessageContext } from './records.js';
import type { DomainState } from './state.js';

export interface PendingSet {
  readonly domain: DomainState;
  readonly templateId: number;
  readonly bytes: Uint8Array;
  readonly ctx: MessageContext;
  readonly receivedMs: number;
}

export class PendingQueue {
  private items: PendingSet[] = [];
  private bytes = 0;
  /** Sets dropped since creation (queue full, or expired). */
  dropped = 0;

  constructor(
    private readonly maxSets: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  add(domain: DomainState, templateId: number, d: Uint8Array, start: number, end: number, ctx: MessageContext, receivedMs: number): void {
    if (this.maxSets <= 0 || end - start > this.maxBytes) {
      this.dropped++;
      return;
    }
    while (this.items.length >= this.maxSets || this.bytes + (end - start) > this.maxBytes) this.dropOldest();
    this.items.push({ domain, templateId, bytes: d.slice(start, end), ctx: { ...ctx }, receivedMs });
    this.bytes += end - start;
    domain.pendingSets++;
  }

  /** Removes and returns the sets waiting for template `templateId` of `domain`, oldest first. */
  take(domain: DomainState, templateId: number): PendingSet[] {
    if (domain.pendingSets === 0) return [];
    const hit: PendingSet[] = [];
    const keep: PendingSet[] = [];
    for (const it of this.items) {
      if (it.domain === domain && it.templateId === templateId) hit.push(it);
      else keep.push(it);
    }
    if (hit.length === 0) return hit;
    this.items = keep;
    for (const it of hit) this.forget(it);
    return hit;
  }

  /** Drops sets older than `maxAgeMs` at `nowMs`, and every set of the domains in `gone`. */
  expire(nowMs: number, maxAgeMs: number, gone?: ReadonlySet<DomainState>): void {
    const keep: PendingSet[] = [];
    for (const it of this.items) {
      if (nowMs - it.receivedMs > maxAgeMs || gone?.has(it.domain)) {
        this.forget(it);
        this.dropped++;
      } else keep.push(it);
    }
    this.items = keep;
  }

  private dropOldest(): void {
    const it = this.items.shift();
    if (!it) return;
    this.forget(it);
    this.dropped++;
  }

  private forget(it: PendingSet): void {
    this.bytes -= it.bytes.length;
    it.domain.pendingSets--;
  }
}
