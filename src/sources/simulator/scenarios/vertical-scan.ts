// An outside address tries every well-known port and the usual database and remote-access
// ports of one internet-facing interface, once per window.

import { formatIp } from '../../../schema/ip.js';
import { drawExchange } from '../service.js';
import { PROBE, pick, preferTiers, spread, v4Text, type ScenarioDefinition } from './scenario.js';

const EXTRA_PORTS = [1433, 1521, 2049, 2375, 3306, 3389, 5432, 5900, 5984, 6379, 8080, 8443, 9200, 11211, 27017];
const PORTS = [...Array.from({ length: 1024 }, (_, i) => i + 1), ...EXTRA_PORTS];

export const verticalScan: ScenarioDefinition = {
  name: 'vertical_scan',
  description: 'one outside address probes ports 1-1024 and common service ports of one public interface',
  create(setup) {
    const { inventory, rng, offsets } = setup;
    const exposed = inventory.enis.filter((e) => e.publicIp !== undefined);
    if (exposed.length === 0) throw new Error('vertical_scan needs an interface with a public address');
    const target = pick(rng, preferTiers(exposed, ['web']));
    const attacker = setup.attackerAddress();
    const dstOff = offsets.v4[target.index];
    return {
      enis: [target],
      addresses: [v4Text(attacker), formatIp(target.addrs, dstOff), target.publicIp!],
      ports: PORTS,
      protocols: [6],
      details: { scanner: v4Text(attacker), target_interface: target.id, ports_per_window: PORTS.length },
      generate(ctx) {
        const em = ctx.emitter;
        for (let i = 0; i < PORTS.length; i++) {
          em.setSrcV4(attacker);
          em.setDstEni(target, dstOff);
          em.srcPort = ctx.rng.range(32768, 65535);
          em.dstPort = PORTS[i];
          drawExchange(PROBE, false, false, ctx);
          em.first = spread(ctx, i, PORTS.length);
          em.last = em.first;
          em.emit();
        }
      },
    };
  },
};
