// The VPC traffic simulator: flow records for an inventory, window by window, as a cloud's
// flow logs would deliver them (both ends of every conversation inside the inventory, the
// policy engine's verdict and rule on each, records grouped by interface), with a daily load
// curve and named scenarios injected on request, each with its ground truth.
//
// Deterministic: the seed, the window number and a stream per purpose seed every random
// draw, so everyday traffic is the same with or without scenarios, and a run can be replayed.

import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { parseIp } from '../../schema/ip.js';
import { PolicyEngine } from '../../policy/engine.js';
import { TrafficClasses } from '../../policy/traffic-classes.js';
import type { BatchSink } from '../source.js';
import { baselineServices } from './baseline.js';
import { BatchWriter } from './batch-writer.js';
import { ConnectionEmitter } from './connection-emitter.js';
import { ClientPopulation } from './countries.js';
import { DEFAULT_DIURNAL, diurnalFactor, type DiurnalShape } from './diurnal.js';
import { exampleThreatListPath, readThreatList } from './example.js';
import { RecordStage } from './record-stage.js';
import { Rng, mixSeed } from './rng.js';
import { VpcRoles } from './roles.js';
import { SCENARIO_REGISTRY, SCENARIOS } from './scenarios/registry.js';
import type { ActiveScenario } from './scenarios/scenario.js';
import { TruthRecorder, type ScenarioTruth } from './scenarios/truth.js';
import { VerdictCache } from './verdict-cache.js';
import { AddressOffsets, ServiceTraffic, recordsPerConnection, type WindowContext } from './service.js';

export interface ScenarioRequest {
  name: string;
  /** Window (0-based) the scenario starts in; default 1, so the first window shows normal traffic. */
  atWindow?: number;
  /** How many windows it lasts; default 1. */
  windows?: number;
}

export interface SimulatorOptions {
  seed: number;
  /** Aggregation window, seconds; default 60. */
  windowSeconds?: number;
  /**
   * Start of the first window, unix seconds; default 2026-01-01T00:00:00Z, so that a seed alone
   * replays a run. Pass the current time for live use.
   */
  startTime?: number;
  /** Records per window at the daily peak (everyday traffic; scenarios add theirs); default 10000. */
  flowsPerWindow?: number;
  scenarios?: ScenarioRequest[];
  /** Known-bad IPv4 addresses for known_bad_ip; default examples/threat-list.txt. */
  threatList?: readonly string[];
  /** Daily load curve; default peak at 15:00 UTC, trough at 20 % of the peak. */
  diurnal?: Partial<DiurnalShape>;
}

export const DEFAULT_START_TIME = 1767225600;
const DEFAULT_WINDOW = 60;
const DEFAULT_FLOWS = 10000;

// Streams of random numbers, one per purpose.
const STREAM_CLIENTS = 1;
const STREAM_BASELINE = 2;
const STREAM_SCENARIO_SETUP = 3;
const STREAM_SCENARIO_WINDOW = 4;

// Scenario actors outside the inventory: attackers from one hosting range, legitimate-looking
// peers from a cloud storage range; neither is in the client population's country blocks.
const ATTACKER_BASE = parseIp('45.155.205.0')![3];
const SERVICE_BASE = parseIp('52.218.40.0')![3];

interface Scheduled {
  at: number;
  windows: number;
  active: ActiveScenario;
  truth: TruthRecorder;
}

export class Simulator {
  readonly windowSeconds: number;
  readonly startTime: number;
  readonly flowsPerWindow: number;
  readonly engine: PolicyEngine;
  private window = 0;
  private readonly seed: number;
  private readonly diurnal: DiurnalShape;
  private readonly stage: RecordStage;
  private readonly writer: BatchWriter;
  private readonly ctx: WindowContext;
  private readonly loadServices: ServiceTraffic[] = [];
  private readonly fixedServices: ServiceTraffic[] = [];
  private readonly scheduled: Scheduled[] = [];

  constructor(
    readonly inventory: InventoryIndex,
    opts: SimulatorOptions,
  ) {
    if (!Number.isFinite(opts.seed)) throw new Error('simulator: seed must be a number');
    this.seed = opts.seed;
    this.windowSeconds = opts.windowSeconds ?? DEFAULT_WINDOW;
    if (!Number.isInteger(this.windowSeconds) || this.windowSeconds < 1 || this.windowSeconds > 3600) {
      throw new Error(`simulator: windowSeconds must be a whole number of seconds from 1 to 3600, not ${opts.windowSeconds}`);
    }
    this.startTime = Math.floor(opts.startTime ?? DEFAULT_START_TIME);
    this.flowsPerWindow = opts.flowsPerWindow ?? DEFAULT_FLOWS;
    if (!(this.flowsPerWindow >= 0)) throw new Error('simulator: flowsPerWindow must be 0 or more');
    this.diurnal = { ...DEFAULT_DIURNAL, ...opts.diurnal };

    this.engine = new PolicyEngine(inventory);
    this.stage = new RecordStage(inventory.enis.length, Math.ceil(this.flowsPerWindow * 1.5) + 4096);
    this.writer = new BatchWriter(inventory.enis, this.engine.decisions);
    // The inventory has no router MACs; make one per subnet (locally administered).
    const routerMac = Float64Array.from(inventory.subnets, (s) => 0xfeee00000000 + s.index + 1);
    const verdicts = new VerdictCache(this.engine, new TrafficClasses(inventory), inventory.enis.length);
    const emitter = new ConnectionEmitter(this.engine, verdicts, this.stage, routerMac);
    const offsets = new AddressOffsets(inventory.enis);
    const clients = new ClientPopulation(new Rng(mixSeed(this.seed, STREAM_CLIENTS)), 20000, 4000);
    this.ctx = { rng: new Rng(0), emitter, clients, start: 0, end: 0, seconds: this.windowSeconds };

    const totalEnis = inventory.enis.length;
    for (const vpc of inventory.vpcs) {
      if (vpc.enis.length === 0) continue;
      for (const s of baselineServices(new VpcRoles(vpc), vpc.enis.length / totalEnis, this.windowSeconds, totalEnis)) {
        (s.perWindow > 0 ? this.fixedServices : this.loadServices).push(new ServiceTraffic(s, offsets));
      }
    }

    const threats = Uint32Array.from((opts.threatList ?? defaultThreatList()).flatMap((t) => {
      const w = parseIp(t);
      return w && w[2] === 0xffff ? [w[3]] : [];
    }));
    let attackers = 0;
    let peers = 0;
    (opts.scenarios ?? []).forEach((req, i) => {
      const def = SCENARIO_REGISTRY.get(req.name);
      if (!def) throw new Error(`simulator: unknown scenario '${req.name}' (known: ${SCENARIOS.join(', ')})`);
      const at = req.atWindow ?? 1;
      const windows = req.windows ?? 1;
      if (!Number.isInteger(at) || at < 0 || !Number.isInteger(windows) || windows < 1) {
        throw new Error(`simulator: scenario '${req.name}' needs atWindow >= 0 and windows >= 1`);
      }
      const active = def.create({
        inventory,
        engine: this.engine,
        rng: new Rng(mixSeed(this.seed, STREAM_SCENARIO_SETUP, i)),
        offsets,
        threats,
        attackerAddress: () => ATTACKER_BASE + 10 + 7 * (attackers++ % 34),
        serviceAddress: () => SERVICE_BASE + 20 + 3 * (peers++ % 70),
      });
      const start = this.startTime + at * this.windowSeconds;
      const truth = new TruthRecorder(def.name, def.description, start, start + windows * this.windowSeconds, active);
      this.scheduled.push({ at, windows, active, truth });
    });
  }

  /** Index of the next window to generate. */
  get nextWindowIndex(): number {
    return this.window;
  }

  /** Writes the next window's records into the sink and returns its [start, end) and the records written. */
  nextWindow(sink: BatchSink): { start: number; end: number; flows: number } {
    const w = this.window++;
    const W = this.windowSeconds;
    const start = this.startTime + w * W;
    const end = start + W;
    const ctx = this.ctx;
    const stage = this.stage;
    stage.clear();
    ctx.start = start;
    ctx.end = end;
    const rng = (ctx.rng = new Rng(mixSeed(this.seed, STREAM_BASELINE, w)));

    const load = this.flowsPerWindow * diurnalFactor(start + W / 2, this.diurnal) * Math.max(0.5, 1 + 0.05 * rng.normal());
    for (const svc of this.loadServices) svc.run(rng.round((load * svc.spec.share) / recordsPerConnection(svc.spec)), ctx);
    for (const svc of this.fixedServices) svc.run(rng.round(svc.spec.perWindow), ctx);

    this.scheduled.forEach((s, i) => {
      if (w < s.at || w >= s.at + s.windows) return;
      ctx.rng = new Rng(mixSeed(this.seed, STREAM_SCENARIO_WINDOW, i, w));
      const enis = this.inventory.enis;
      const decisions = this.engine.decisions;
      ctx.emitter.observer = (slot) => s.truth.collect(stage, slot, enis, decisions);
      s.active.generate(ctx, w - s.at);
      ctx.emitter.observer = null;
      s.truth.countWindow();
    });

    const flows = this.writer.write(stage, start, end, sink);
    return { start, end, flows };
  }

  /** Ground truth of every requested scenario (counts cover the windows generated so far). */
  groundTruth(): ScenarioTruth[] {
    return this.scheduled.map((s) => s.truth.toJSON());
  }
}

function defaultThreatList(): string[] {
  try {
    return readThreatList(exampleThreatListPath());
  } catch {
    return [];
  }
}
