export { Simulator, DEFAULT_START_TIME, type SimulatorOptions, type ScenarioRequest } from './simulator.js';
export { SCENARIOS } from './scenarios/registry.js';
export type { ScenarioTruth, ExpectedRecords } from './scenarios/truth.js';
export { loadExampleInventory, exampleInventoryPath, exampleThreatListPath, readThreatList } from './example.js';
export { COUNTRY_PREFIXES, countryOf } from './countries.js';
export { diurnalFactor, DEFAULT_DIURNAL, type DiurnalShape } from './diurnal.js';
