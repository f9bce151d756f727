// Simulator generation speed: flow records per second written into FlowBatches (8192 rows,
// handed to a collector that drops them), on the shipped example network at its daily peak.

import { pathToFileURL } from 'node:url';
import { BatchCollector } from '../src/sources/source.js';
import { Simulator, loadExampleInventory, DEFAULT_START_TIME } from '../src/sources/simulator/index.js';

const TOTAL_FLOWS = 10_000_000;
const FLOWS_PER_WINDOW = 250_000;

export async function run(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const inventory = loadExampleInventory();
  const built = performance.now();
  const sim = new Simulator(inventory, { seed: 1, flowsPerWindow: FLOWS_PER_WINDOW, startTime: DEFAULT_START_TIME + 15 * 3600 });
  const constructionMs = performance.now() - built;
  let batches = 0;
  const sink = new BatchCollector(() => batches++, 8192);
  sim.nextWindow(sink); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let flows = 0;
  let windows = 0;
  while (flows < TOTAL_FLOWS) {
    flows += sim.nextWindow(sink).flows;
    windows++;
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  return [
    { name: 'simulator.flows_per_s', value: Math.round(flows / wallS), unit: 'flows/s' },
    { name: 'simulator.flows_per_cpu_s', value: Math.round(flows / cpuS), unit: 'flows/s' },
    { name: 'simulator.flows_generated', value: flows, unit: 'flows' },
    { name: 'simulator.windows', value: windows, unit: 'windows' },
    { name: 'simulator.construction', value: Math.round(constructionMs), unit: 'ms' },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await run()) console.log(`${r.name}\t${r.value}\t${r.unit}`);
}
