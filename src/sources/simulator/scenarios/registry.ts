// The scenarios the simulator can inject, by name. Adding one is adding a module and a line here.

import { aclBlockedReturn } from './acl-blocked-return.js';
import { bandwidthHog } from './bandwidth-hog.js';
import { broadcastStorm } from './broadcast-storm.js';
import { horizontalScan } from './horizontal-scan.js';
import { knownBadIp } from './known-bad-ip.js';
import type { ScenarioDefinition } from './scenario.js';
import { sgBlockedService } from './sg-blocked-service.js';
import { sshBruteForce } from './ssh-brute-force.js';
import { uncommonProtocol } from './uncommon-protocol.js';
import { verticalScan } from './vertical-scan.js';

const DEFINITIONS: readonly ScenarioDefinition[] = [
  horizontalScan,
  verticalScan,
  broadcastStorm,
  bandwidthHog,
  knownBadIp,
  uncommonProtocol,
  sshBruteForce,
  sgBlockedService,
  aclBlockedReturn,
];

export const SCENARIO_REGISTRY: ReadonlyMap<string, ScenarioDefinition> = new Map(DEFINITIONS.map((d) => [d.name, d]));

export const SCENARIOS: readonly string[] = DEFINITIONS.map((d) => d.name);
