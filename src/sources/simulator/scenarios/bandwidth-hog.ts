// One capped interface pushes several times its bandwidth cap to an outside storage
// endpoint over parallel HTTPS streams (a runaway backup or an exfiltration).

import { formatIp } from '../../../schema/ip.js';
import { TCP_ACK, TCP_PSH } from '../connection-emitter.js';
import { establishes, pick, v4Text, type ScenarioDefinition } from './scenario.js';

const STREAMS = 8;

export const bandwidthHog: ScenarioDefinition = {
  name: 'bandwidth_hog',
  description: 'one interface sends far more than its bandwidth cap (and its own history) to an outside address',
  create(setup) {
    const { inventory, rng, offsets, engine } = setup;
    const target = setup.serviceAddress();
    const capped = inventory.enis.filter((e) => e.bandwidthMbps !== undefined && establishes(engine, e, offsets.v4[e.index], target, 0, 6, 443));
    if (capped.length === 0) throw new Error('bandwidth_hog needs an interface with bandwidth_mbps that may open HTTPS connections to the internet');
    const src = pick(rng, capped);
    const cap = src.bandwidthMbps!;
    const factor = 3 + rng.next() * 2;
    const srcOff = offsets.v4[src.index];
    return {
      enis: [src],
      addresses: [formatIp(src.addrs, srcOff), v4Text(target)],
      ports: [443],
      protocols: [6],
      details: { source_interface: src.id, bandwidth_mbps: cap, rate_mbps: Math.round(cap * factor) },
      generate(ctx) {
        const em = ctx.emitter;
        const bytes = (cap * factor * 1e6 * ctx.seconds) / 8 / STREAMS;
        for (let s = 0; s < STREAMS; s++) {
          em.setSrcEni(src, srcOff);
          em.setDstV4(target);
          em.protocol = 6;
          em.replies = true;
          em.srcPort = ctx.rng.range(32768, 60999);
          em.dstPort = 443;
          em.reqPackets = Math.ceil(bytes / 1448);
          em.reqBytes = Math.round(bytes + em.reqPackets * 52);
          em.repPackets = Math.ceil(em.reqPackets / 2);
          em.repBytes = em.repPackets * 52;
          em.reqFlags = TCP_ACK | TCP_PSH;
          em.repFlags = TCP_ACK | TCP_PSH;
          em.first = ctx.start;
          em.last = ctx.end - 1;
          em.dstMacOverride = 0;
          em.emit();
        }
      },
    };
  },
};
