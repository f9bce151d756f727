// The threat lists the quality runs use: the simulator's own known-bad list (what its
// known_bad_ip scenario draws from) and the IPsum snapshot.

import fs from 'node:fs';
import { LIST_FORMATS } from '../../src/intel/formats.js';
import { IntelIndex } from '../../src/intel/intel-index.js';
import { exampleThreatListPath } from '../../src/sources/simulator/index.js';
import { testdata } from '../support/paths.js';

export function exampleIntel(): IntelIndex {
  return new IntelIndex([{ name: 'example', entries: LIST_FORMATS.plain(fs.readFileSync(exampleThreatListPath(), 'utf8'), {}).entries }]);
}

export function ipsumIntel(minCount = 1): IntelIndex {
  return new IntelIndex([{ name: 'ipsum', entries: LIST_FORMATS.ipsum(fs.readFileSync(testdata('ipsum', 'ipsum.txt'), 'utf8'), { min_count: minCount }).entries }]);
}
