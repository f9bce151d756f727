// Protocols everyday traffic never uses: a GRE tunnel between an inside host and an outside
// endpoint (both directions), and SCTP signalling (M3UA, 2905) arriving at a public interface.

import { formatIp } from '../../../schema/ip.js';
import { pick, preferTiers, v4Text, type ScenarioDefinition } from './scenario.js';

const GRE = 47;
const SCTP = 132;
const M3UA = 2905;

export const uncommonProtocol: ScenarioDefinition = {
  name: 'uncommon_protocol',
  description: 'GRE (47) and SCTP (132) flows',
  create(setup) {
    const { inventory, rng, offsets } = setup;
    if (inventory.enis.length === 0) throw new Error('uncommon_protocol needs an interface');
    const tunnel = pick(rng, preferTiers(inventory.enis, ['nat', 'bastion']));
    const exposed = inventory.enis.filter((e) => e.publicIp !== undefined);
    const sctpTarget = pick(rng, preferTiers(exposed.length > 0 ? exposed : inventory.enis, ['web']));
    const peer = setup.serviceAddress();
    const signaller = setup.serviceAddress();
    const tOff = offsets.v4[tunnel.index];
    const sOff = offsets.v4[sctpTarget.index];
    return {
      enis: tunnel === sctpTarget ? [tunnel] : [tunnel, sctpTarget],
      addresses: [formatIp(tunnel.addrs, tOff), v4Text(peer), formatIp(sctpTarget.addrs, sOff), v4Text(signaller)],
      ports: [M3UA],
      protocols: [GRE, SCTP],
      details: { gre: `${tunnel.id} <-> ${v4Text(peer)}`, sctp: `${v4Text(signaller)} -> ${sctpTarget.id}:${M3UA}` },
      generate(ctx) {
        const em = ctx.emitter;
        // GRE carries no ports and both ends send independently: two one-way flows.
        for (const out of [true, false]) {
          if (out) {
            em.setSrcEni(tunnel, tOff);
            em.setDstV4(peer);
          } else {
            em.setSrcV4(peer);
            em.setDstEni(tunnel, tOff);
          }
          em.protocol = GRE;
          em.srcPort = 0;
          em.dstPort = 0;
          em.replies = false;
          em.reqPackets = ctx.rng.range(150, 400) * ctx.seconds;
          em.reqBytes = em.reqPackets * ctx.rng.range(400, 900);
          em.reqFlags = 0;
          em.first = ctx.start;
          em.last = ctx.end - 1;
          em.dstMacOverride = 0;
          em.emit();
        }
        em.setSrcV4(signaller);
        em.setDstEni(sctpTarget, sOff);
        em.protocol = SCTP;
        em.srcPort = M3UA;
        em.dstPort = M3UA;
        em.replies = false;
        em.reqPackets = ctx.rng.range(2, 6);
        em.reqBytes = em.reqPackets * 100;
        em.first = ctx.start + ctx.rng.int(ctx.seconds);
        em.last = em.first;
        em.emit();
        em.replies = true;
      },
    };
  },
};
