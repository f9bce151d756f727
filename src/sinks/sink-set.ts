// All configured sinks as one component: built from the `sinks:` section, attached to the
// pipeline as taps, started and stopped with the service.

import path from 'node:path';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { InputError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { CommonSettings } from './config.js';
import { sinkType, type SinksConfig } from './registry.js';
import { Sink, type DestinationLookup } from './sink.js';

export interface SinkSetDeps {
  /** The data directory; each sink keeps its queue and state under sinks/<name>/. */
  dataDir: string;
  metrics: MetricsRegistry;
  log?: Logger;
  lookup?: DestinationLookup;
}

export class SinkSet {
  readonly name = 'sinks';
  readonly sinks: Sink[] = [];

  constructor(config: SinksConfig, deps: SinkSetDeps) {
    const log = deps.log ?? silentLogger;
    for (const [name, raw] of Object.entries(config)) {
      const t = sinkType(raw.type);
      if (!t) throw new InputError(`sinks.${name}.type: unknown sink type '${raw.type}'`);
      const settings = raw as unknown as CommonSettings & { type: string };
      if (!settings.enabled) continue;
      const stateDir = path.join(deps.dataDir, 'sinks', name);
      const ctx = { name, stateDir, log: log.child({ sink: name }), metrics: deps.metrics };
      this.sinks.push(new Sink(name, settings, t.create(settings, ctx), t.batchDefaults(settings), { stateDir, metrics: deps.metrics, log, lookup: deps.lookup }));
    }
  }

  get(name: string): Sink | undefined {
    return this.sinks.find((s) => s.name === name);
  }

  /** Names of the configured sinks (what a flow log may list as destinations). */
  names(): string[] {
    return this.sinks.map((s) => s.name);
  }

  attach(pipeline: Pipeline): void {
    for (const s of this.sinks) pipeline.addTap(s);
  }

  setLookup(lookup: DestinationLookup | undefined): void {
    for (const s of this.sinks) s.setLookup(lookup);
  }

  async start(): Promise<void> {
    for (const s of this.sinks) await s.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.stop()));
  }
}
