// What route modules may use: explicit dependencies, no globals.

import type { MetricsRegistry } from '../metrics/registry.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { ThreatDetection } from '../alerts/threat-detection.js';
import type { FlowLogRegistry } from '../flowlogs/registry.js';
import type { InventorySource } from '../inventory/current-inventory.js';
import type { FlowStore } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { TokenStore, Principal } from './tokens.js';

export interface ApiContext {
  version: string;
  store: FlowStore;
  /** Where records sent over HTTP go (absent in read-only API servers). */
  pipeline?: Pipeline;
  /** Flow-log objects and the network model. */
  flowLogs?: FlowLogRegistry;
  inventory?: InventorySource & { file?: string; refresh?(): boolean };
  dataDir?: string;
  /** Detectors and alerts (absent in read-only API servers). */
  alerts?: ThreatDetection;
  metrics: MetricsRegistry;
  log: Logger;
  tokens: TokenStore;
  /** False only for a loopback server with no tokens (the local demo). */
  requireToken: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Route served without a token (health checks). */
    public?: boolean;
  }
}
