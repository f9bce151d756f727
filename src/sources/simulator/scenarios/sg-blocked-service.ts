// Clients that may not use a service: they connect to a port the servers listen on (some
// other group is allowed in), but the servers' security group does not admit them, so
// every attempt is a REJECT at the servers' ingress while the clients' egress accepts it.

import { formatIp } from '../../../schema/ip.js';
import type { Eni } from '../../../inventory/model.js';
import { drawExchange } from '../service.js';
import { pick, servicePorts, shape, spread, tierOfEni, type ScenarioDefinition } from './scenario.js';

const REQUEST = shape('tcp', 300, 1000, 2, 1e5);

export const sgBlockedService: ScenarioDefinition = {
  name: 'sg_blocked_service',
  description: "clients retry a service whose port the servers' security group does not allow them",
  create(setup) {
    const { inventory, rng, offsets, engine } = setup;
    const blocked = (s: Eni, d: Eni, port: number) => {
      const v = engine.connection(s, s.addrs, offsets.v4[s.index], d, d.addrs, offsets.v4[d.index], 6, 45678, port);
      return v.request.atSender!.accept && v.request.blockedBy?.hop === 'dst_sg_ingress';
    };
    const found: Array<{ s: Eni; d: Eni; port: number }> = [];
    for (const d of inventory.enis) {
      const ports = servicePorts(d);
      for (const s of d.vpc.enis) {
        if (s === d) continue;
        for (const port of ports) if (blocked(s, d, port)) found.push({ s, d, port });
      }
    }
    if (found.length === 0) throw new Error('sg_blocked_service needs a client whose connections a server\'s security group rejects');
    // Prefer data stores: the usual story is a new job pointed at a cache or database.
    const preferred = found.filter((f) => ['cache', 'db'].includes(tierOfEni(f.d)));
    const choice = pick(rng, preferred.length > 0 ? preferred : found);
    const sameTier = (a: Eni, b: Eni) => a === b || (tierOfEni(a) !== '' && tierOfEni(a) === tierOfEni(b));
    const pairs = found.filter((f) => f.port === choice.port && sameTier(f.s, choice.s) && sameTier(f.d, choice.d));
    const clients = [...new Set(pairs.map((p) => p.s))];
    const servers = [...new Set(pairs.map((p) => p.d))];
    return {
      enis: [...clients, ...servers],
      addresses: [...clients, ...servers].map((e) => formatIp(e.addrs, offsets.v4[e.index])),
      ports: [choice.port],
      protocols: [6],
      servicePort: choice.port,
      details: { port: choice.port, clients: clients.length, servers: servers.length },
      generate(ctx) {
        const em = ctx.emitter;
        const tries = Math.max(1, Math.round(ctx.seconds / 6));
        for (const p of pairs) {
          for (let i = 0; i < tries; i++) {
            em.setSrcEni(p.s, offsets.v4[p.s.index]);
            em.setDstEni(p.d, offsets.v4[p.d.index]);
            em.srcPort = ctx.rng.range(32768, 60999);
            em.dstPort = p.port;
            drawExchange(REQUEST, false, false, ctx);
            em.first = spread(ctx, i, tries);
            em.last = Math.min(ctx.end - 1, em.first + 2);
            em.emit();
          }
        }
      },
    };
  },
};
