// Ground truth of an injected scenario: what it is, which interfaces, instances, addresses,
// ports and protocols it involves, when it runs, and every record it put in the output,
// counted by interface, direction, verdict and rule, so a detector's findings (or a test)
// can be checked against it. Plain data, ready for JSON.

import { formatIp } from '../../../schema/ip.js';
import type { Eni } from '../../../inventory/model.js';
import type { Decision } from '../../../policy/decision.js';
import type { RecordStage } from '../record-stage.js';

export interface ExpectedRecords {
  interface_id: string;
  direction: 'ingress' | 'egress';
  action: 'ACCEPT' | 'REJECT';
  rule_id: string;
  protocol: number;
  src_addr: string;
  dst_addr: string;
  /** Present when the scenario is told apart by its service port: on the records going to it… */
  dst_port?: number;
  /** …and on those coming back from it. */
  src_port?: number;
  records: number;
  packets: number;
  bytes: number;
}

export interface ScenarioTruth {
  scenario: string;
  description: string;
  /** First window's start and last window's end (exclusive), unix seconds. */
  start: number;
  end: number;
  /** Windows of the scenario generated so far (`expected` counts these). */
  windows_generated: number;
  enis: string[];
  instances: string[];
  addresses: string[];
  ports: number[];
  protocols: number[];
  /** Scenario-specific facts (e.g. the bandwidth cap and the rate actually sent). */
  details: Record<string, number | string>;
  /**
   * Every record the scenario produced. A record belongs to an entry when all the entry's
   * fields (other than the counts) are equal to the record's.
   */
  expected: ExpectedRecords[];
}

export interface ScenarioEntities {
  enis: readonly Eni[];
  addresses: readonly string[];
  ports: readonly number[];
  protocols: readonly number[];
  details?: Record<string, number | string>;
  /** When set, entries also carry the port on the service side (see ExpectedRecords). */
  servicePort?: number;
}

export class TruthRecorder {
  private readonly entries = new Map<string, ExpectedRecords>();
  private windows = 0;

  constructor(
    private readonly scenario: string,
    private readonly description: string,
    private readonly start: number,
    private readonly end: number,
    private readonly entities: ScenarioEntities,
  ) {}

  /** Notes that one more of the scenario's windows was generated. */
  countWindow(): void {
    this.windows++;
  }

  /** Counts a staged record (its slot) as this scenario's. */
  collect(stage: RecordStage, i: number, enis: readonly Eni[], decisions: readonly Decision[]): void {
    const d = decisions[stage.decision(i)];
    const e: ExpectedRecords = {
      interface_id: enis[stage.eni(i)].id,
      direction: stage.direction(i) === 0 ? 'ingress' : 'egress',
      action: d.action,
      rule_id: d.ruleId,
      protocol: stage.protocol(i),
      src_addr: formatIp(stage.u32, stage.srcOffset(i)),
      dst_addr: formatIp(stage.u32, stage.dstOffset(i)),
      records: 0,
      packets: 0,
      bytes: 0,
    };
    const port = this.entities.servicePort;
    if (port !== undefined) {
      if (stage.dstPort(i) === port) e.dst_port = port;
      else if (stage.srcPort(i) === port) e.src_port = port;
    }
    const key = `${e.interface_id}|${e.direction}|${e.rule_id}|${e.protocol}|${e.src_addr}|${e.dst_addr}|${e.dst_port ?? ''}|${e.src_port ?? ''}`;
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = e));
    entry.records++;
    entry.packets += stage.packets(i);
    entry.bytes += stage.bytes(i);
  }

  toJSON(): ScenarioTruth {
    const ent = this.entities;
    return {
      scenario: this.scenario,
      description: this.description,
      start: this.start,
      end: this.end,
      windows_generated: this.windows,
      enis: ent.enis.map((e) => e.id),
      instances: [...new Set(ent.enis.map((e) => e.instanceId).filter((i) => i !== ''))],
      addresses: [...ent.addresses],
      ports: [...ent.ports],
      protocols: [...ent.protocols],
      details: { ...(ent.details ?? {}) },
      expected: [...this.entries.values()].map((e) => ({ ...e })),
    };
  }
}
