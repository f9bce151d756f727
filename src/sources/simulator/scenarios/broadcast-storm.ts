// A misbehaving interface floods its segment: DHCP discovers to 255.255.255.255, NetBIOS
// name queries to its subnet's broadcast address and mDNS to 224.0.0.251, tens of thousands
// of packets a second, with broadcast and multicast destination MACs.

import { formatIp, parseMac } from '../../../schema/ip.js';
import { pick, preferTiers, v4Text, type ScenarioDefinition } from './scenario.js';

const BROADCAST_MAC = parseMac('ff:ff:ff:ff:ff:ff')!;
const MDNS_MAC = parseMac('01:00:5e:00:00:fb')!;

export const broadcastStorm: ScenarioDefinition = {
  name: 'broadcast_storm',
  description: 'one interface sends huge packet rates to broadcast and multicast addresses',
  create(setup) {
    const { inventory, rng, offsets } = setup;
    const withV4 = inventory.enis.filter((e) => e.subnet.ranges.some((r) => r.lo[2] === 0xffff));
    if (withV4.length === 0) throw new Error('broadcast_storm needs an interface in an IPv4 subnet');
    const src = pick(rng, preferTiers(withV4, ['app']));
    const subnetRange = src.subnet.ranges.find((r) => r.lo[2] === 0xffff)!;
    const floods = [
      { dst: 0xffffffff, sport: 68, dport: 67, mac: BROADCAST_MAC, size: 342, pps: rng.range(30000, 60000) },
      { dst: subnetRange.hi[3], sport: 137, dport: 137, mac: BROADCAST_MAC, size: 92, pps: rng.range(20000, 40000) },
      { dst: (224 << 24) + 251, sport: 5353, dport: 5353, mac: MDNS_MAC, size: 120, pps: rng.range(10000, 30000) },
    ];
    const srcOff = offsets.v4[src.index];
    return {
      enis: [src],
      addresses: [formatIp(src.addrs, srcOff), ...floods.map((f) => v4Text(f.dst))],
      ports: [...new Set(floods.map((f) => f.dport))],
      protocols: [17],
      details: { source_interface: src.id, packets_per_second: floods.reduce((s, f) => s + f.pps, 0) },
      generate(ctx) {
        const em = ctx.emitter;
        for (const f of floods) {
          em.setSrcEni(src, srcOff);
          em.setDstV4(f.dst);
          em.protocol = 17;
          em.srcPort = f.sport;
          em.dstPort = f.dport;
          em.replies = false;
          em.reqPackets = f.pps * ctx.seconds;
          em.reqBytes = em.reqPackets * f.size;
          em.reqFlags = 0;
          em.first = ctx.start;
          em.last = ctx.end - 1;
          em.dstMacOverride = f.mac;
          em.emit();
        }
        em.dstMacOverride = 0;
        em.replies = true;
      },
    };
  },
};
