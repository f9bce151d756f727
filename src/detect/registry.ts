// The detectors by name. Adding one is adding a module under detectors/ and a line here.

import type { DetectorDefinition } from './detector.js';
import { bandwidth } from './detectors/bandwidth.js';
import { beaconing } from './detectors/beaconing.js';
import { broadcastStorm } from './detectors/broadcast-storm.js';
import { bruteForce } from './detectors/brute-force.js';
import { ddos } from './detectors/ddos.js';
import { exfiltration } from './detectors/exfiltration.js';
import { horizontalScan } from './detectors/horizontal-scan.js';
import { threatIntel } from './detectors/threat-intel.js';
import { uncommonPort } from './detectors/uncommon-port.js';
import { uncommonProtocol } from './detectors/uncommon-protocol.js';
import { verticalScan } from './detectors/vertical-scan.js';

const ALL: readonly DetectorDefinition<never>[] = [
  horizontalScan,
  verticalScan,
  bruteForce,
  threatIntel,
  uncommonProtocol,
  uncommonPort,
  broadcastStorm,
  bandwidth,
  ddos,
  exfiltration,
  beaconing,
] as unknown as DetectorDefinition<never>[];

export const DETECTORS: ReadonlyMap<string, DetectorDefinition<unknown>> = new Map(ALL.map((d) => [d.name, d as DetectorDefinition<unknown>]));

export const DETECTOR_NAMES: readonly string[] = ALL.map((d) => d.name);
