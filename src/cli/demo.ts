import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { BatchCollector, BatchList } from '../sources/source.js';
import { exampleInventoryPath, exampleThreatListPath, loadExampleInventory, SCENARIOS, Simulator } from '../sources/simulator/index.js';
import { createLogger } from '../util/log.js';
import { bool, int, parseFlags, str, type Io, type Verb } from './args.js';
import { runUntilSignal, SERVE_FLAGS } from './serve.js';
import { Service, type Component } from './service.js';

export interface DemoOptions {
  windowSeconds: number;
  backfillSeconds: number;
  flowsPerWindow: number;
  seed: number;
}

/**
 * Feeds the built-in VPC simulator into the running service: first the recent past
 * (so charts have history at once), then one window at a time as real time passes.
 * Every scenario is injected once during the backfill; its ground truth is written to the
 * data directory.
 */
export class DemoFeed implements Component {
  readonly name = 'demo feed';
  private timer?: NodeJS.Timeout;
  private sim!: Simulator;
  private stopped = false;
  private backfill?: Promise<void>;
  private firstStart = 0;

  constructor(
    private readonly service: Service,
    private readonly opts: DemoOptions,
  ) {}

  async start(): Promise<void> {
    const w = this.opts.windowSeconds;
    const now = Math.floor(Date.now() / 1000);
    const first = Math.floor((now - this.opts.backfillSeconds) / w) * w;
    this.firstStart = first;
    const backfillWindows = Math.floor((now - first) / w);
    // Scenarios spread over the backfill, the last one close to now.
    const scenarios = SCENARIOS.map((name, i) => ({ name, atWindow: Math.max(0, backfillWindows - 1 - Math.floor(((SCENARIOS.length - i) * backfillWindows) / (SCENARIOS.length + 1))), windows: 3 }));
    this.sim = new Simulator(loadExampleInventory(), { seed: this.opts.seed, windowSeconds: w, startTime: first, flowsPerWindow: this.opts.flowsPerWindow, scenarios });
    this.backfill = this.runBackfill(now);
  }

  private async runBackfill(until: number): Promise<void> {
    let next = this.firstStart;
    const inFlight: Promise<void>[] = [];
    // Windows are gathered into large batches: the store writes them in large segments.
    const collector = new BatchCollector((b) => inFlight.push(this.service.pipeline.push(b, 'simulator')), 65536);
    while (!this.stopped && next + this.opts.windowSeconds <= until) {
      next = this.sim.nextWindow(collector).end;
      if (inFlight.length >= 8) await Promise.all(inFlight.splice(0));
    }
    collector.flush();
    await Promise.all(inFlight);
    const truthFile = path.join(this.service.dataDir, 'demo-ground-truth.json');
    fs.writeFileSync(truthFile, JSON.stringify(this.sim.groundTruth(), null, 2) + '\n');
    this.service.log.info({ file: truthFile }, 'demo history written; live windows follow');
    this.schedule(next);
  }

  /** Emits the window starting at `start` once real time has reached its end. */
  private schedule(start: number): void {
    if (this.stopped) return;
    const delay = Math.max(0, (start + this.opts.windowSeconds) * 1000 - Date.now());
    this.timer = setTimeout(() => {
      const list = new BatchList(Math.max(1024, this.opts.flowsPerWindow * 2));
      const win = this.sim.nextWindow(list);
      for (const b of list.batches) this.service.pipeline.offer(b, 'simulator');
      this.schedule(win.end);
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.backfill;
  }
}

export const demo: Verb = {
  name: 'demo',
  summary: 'serve, fed live by the built-in VPC traffic simulator',
  usage: `flowlogs demo [--data DIR] [--port N] [--window S] [--history H] [--rate N] [--seed N]

  Runs 'flowlogs serve' on 127.0.0.1 and feeds it simulated VPC flow logs: first the last
  --history hours (default 6), then one --window (default 10 s) at a time, live.
  --rate N   flows per window at the daily peak (default 2000)`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('demo', argv, { ...SERVE_FLAGS, window: { type: 'string' }, history: { type: 'string' }, rate: { type: 'string' }, seed: { type: 'string' } }, false);
    const cfg = loadConfig(str(p, 'config'));
    // The simulator's known-bad addresses come from this list: watch for them unless told otherwise.
    if (cfg.raw.intel === undefined) cfg.raw.intel = { lists: [{ name: 'demo-threats', file: exampleThreatListPath(), format: 'plain' }] };
    // …and the network it simulates is the one flow logs, detectors and diagnose work with
    // (an inventory imported into the data directory still comes first).
    if (cfg.raw.inventory === undefined) cfg.raw.inventory = { file: exampleInventoryPath() };
    const log = createLogger(str(p, 'log-level'));
    const service = new Service(cfg, { host: str(p, 'host'), port: int(p, 'port', 'demo', 0, 65535), data: str(p, 'data'), collectors: !bool(p, 'no-collectors') }, log);
    service.add(
      new DemoFeed(service, {
        windowSeconds: int(p, 'window', 'demo', 1, 600) ?? 10,
        backfillSeconds: (int(p, 'history', 'demo', 0, 24 * 30) ?? 6) * 3600,
        flowsPerWindow: int(p, 'rate', 'demo', 1, 10_000_000) ?? 2000,
        seed: int(p, 'seed', 'demo') ?? 1,
      }),
    );
    return runUntilSignal(service, io);
  },
};
