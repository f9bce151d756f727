// One compromised interface sweeps its VPC for SMB (445/tcp): every other interface and a
// few unused addresses of its subnets get a probe each window. Most probes die at the
// targets' security groups, which is what gives such sweeps away in flow logs.

import type { Eni } from '../../../inventory/model.js';
import { formatIp } from '../../../schema/ip.js';
import { drawExchange } from '../service.js';
import { PROBE, pick, preferTiers, spread, v4Text, v4Words, type ScenarioDefinition } from './scenario.js';

const PORT = 445;
const UNUSED_ADDRESSES = 16;

export const horizontalScan: ScenarioDefinition = {
  name: 'horizontal_scan',
  description: 'one interface probes many addresses of its VPC on 445/tcp',
  create(setup) {
    const { inventory, rng, offsets } = setup;
    const candidates = inventory.enis.filter((e) => e.vpc.enis.length >= 6);
    if (candidates.length === 0) throw new Error('horizontal_scan needs a VPC with at least 6 interfaces');
    const src = pick(rng, preferTiers(candidates, ['web', 'app']));
    const targets: Eni[] = src.vpc.enis.filter((e) => e !== src);
    // Unused addresses: a scanner does not know which addresses are taken.
    const unused: number[] = [];
    const v4Ranges = src.vpc.subnets.flatMap((s) => s.ranges).filter((r) => r.lo[2] === 0xffff);
    for (let tries = 0; unused.length < UNUSED_ADDRESSES && tries < 1000 && v4Ranges.length > 0; tries++) {
      const r = pick(rng, v4Ranges);
      const size = r.hi[3] - r.lo[3] + 1;
      if (size < 8) continue;
      const a = (r.lo[3] + 4 + rng.int(size - 5)) >>> 0; // skip the network, router and reserved addresses and the broadcast
      if (!inventory.eniByIp(v4Words(a)) && !unused.includes(a)) unused.push(a);
    }
    const srcOff = offsets.v4[src.index];
    const total = targets.length + unused.length;
    return {
      enis: [src, ...targets],
      addresses: [formatIp(src.addrs, srcOff), ...unused.map(v4Text)],
      ports: [PORT],
      protocols: [6],
      servicePort: PORT,
      details: { source_interface: src.id, targets: total },
      generate(ctx) {
        const em = ctx.emitter;
        for (let i = 0; i < total; i++) {
          em.setSrcEni(src, srcOff);
          if (i < targets.length) em.setDstEni(targets[i], offsets.v4[targets[i].index]);
          else em.setDstV4(unused[i - targets.length]);
          em.srcPort = ctx.rng.range(32768, 60999);
          em.dstPort = PORT;
          drawExchange(PROBE, false, false, ctx);
          em.first = spread(ctx, i, total);
          em.last = em.first;
          em.emit();
        }
      },
    };
  },
};
